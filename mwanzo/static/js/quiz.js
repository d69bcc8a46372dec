// Quiz countdown: a help only — the server marks by its own clock. At zero the form is handed in (as a
// submit event, so that without a connection offline.js keeps it on the phone).
(function () {
  var clock = document.querySelector(".countdown[data-remaining]");
  if (!clock) { return; }
  var end = Date.now() + Number(clock.getAttribute("data-remaining")) * 1000;
  var form = document.getElementById("quiz-form");
  function pad(n) { return n < 10 ? "0" + n : String(n); }
  function tick() {
    var left = Math.max(0, Math.round((end - Date.now()) / 1000));
    var h = Math.floor(left / 3600), m = Math.floor((left % 3600) / 60), s = left % 60;
    clock.textContent = (h ? h + ":" + pad(m) : m) + ":" + pad(s);
    if (left === 0) {
      clearInterval(timer);
      if (form) { form.requestSubmit(); }
    }
  }
  var timer = setInterval(tick, 1000);
  tick();
})();
