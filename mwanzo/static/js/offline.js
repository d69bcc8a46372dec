// The installable app and its offline parts, on every page; without this file (or a service worker)
// none of it appears. Words come from the page (data- attributes), so they are in the learner's language.
(function () {
  "use strict";
  var status = document.getElementById("offline-status");  // there for signed-in learners only
  if (!status || !("serviceWorker" in navigator) || !window.caches) return;
  var manifest = document.createElement("link");
  manifest.rel = "manifest";
  manifest.href = "/manifest.webmanifest";
  document.head.appendChild(manifest);
  navigator.serviceWorker.register("/sw.js").catch(function () {});

  // Ask the service worker something; the answer comes back on a channel of its own.
  function ask(message) {
    return navigator.serviceWorker.ready.then(function (registration) {
      return new Promise(function (resolve) {
        var channel = new MessageChannel();
        channel.port1.onmessage = function (event) { resolve(event.data); };
        registration.active.postMessage(message, [channel.port2]);
      });
    });
  }

  function say(key) {
    status.textContent = status.getAttribute("data-" + key);
    status.hidden = false;
  }
  var token = JSON.parse(document.body.getAttribute("hx-headers") || "{}")["X-CSRFToken"];
  function queue(change) {
    change.id = crypto.randomUUID();
    say("queued");
    return ask({ type: "queue", change: change, csrf: token });
  }
  function megabytes(bytes) {
    return (bytes / 1e6).toLocaleString(document.documentElement.lang, { maximumFractionDigits: 1 }) + " MB";
  }
  window.mwanzoOffline = { ask: ask, queue: queue, megabytes: megabytes };

  navigator.serviceWorker.addEventListener("message", function (event) {
    if (event.data && event.data.type === "sent") {
      say("sent");
      document.dispatchEvent(new CustomEvent("mwanzo:sent", { detail: event.data.outcomes }));
    }
  });
  // The worker's idea of the connection can lag behind the page's: a send that fails just after the phone
  // is back is tried again a few times, waiting longer each time.
  function online(tries) {
    if (!navigator.onLine) return;
    ask({ type: "online" }).then(function (answer) {
      if (answer && answer[1] === false && tries < 5) setTimeout(online, 1000 * Math.pow(2, tries), tries + 1);
    });
  }
  window.addEventListener("online", function () { online(0); });
  online(0);

  // --- the data meter on the dashboard, and the learner's monthly limit (kept on this phone)
  var meter = document.querySelector("[data-meter]");
  if (meter) {
    var limitField = meter.querySelector("input");
    limitField.value = localStorage.getItem("mwanzo-data-limit-mb") || "";
    ask({ type: "meter" }).then(function (used) {
      var figures = meter.querySelector("[data-meter-figures]");
      figures.textContent = meter.getAttribute("data-text").replace("{video}", megabytes(used.video))
        .replace("{pages}", megabytes(used.pages));
      figures.setAttribute("data-video-bytes", String(used.video));
      figures.setAttribute("data-page-bytes", String(used.pages));
      meter.hidden = false;
    });
    meter.querySelector("form").addEventListener("submit", function (event) {
      event.preventDefault();
      if (limitField.value) localStorage.setItem("mwanzo-data-limit-mb", limitField.value);
      else localStorage.removeItem("mwanzo-data-limit-mb");
      meter.querySelector("[data-limit-saved]").hidden = false;
    });
  }

  // --- install prompt: offered once, from the second visit on
  var visits = parseInt(localStorage.getItem("mwanzo-visits") || "0", 10);
  if (!sessionStorage.getItem("mwanzo-visit")) {  // a visit is a browsing session, not each page of it
    sessionStorage.setItem("mwanzo-visit", "1");
    localStorage.setItem("mwanzo-visits", String(++visits));
  }
  var install = document.querySelector("[data-install]");
  window.addEventListener("beforeinstallprompt", function (event) {
    event.preventDefault();
    if (!install || visits < 2 || localStorage.getItem("mwanzo-install-offered")) return;
    install.hidden = false;
    install.addEventListener("click", function (click) {
      var button = click.target.closest("button");
      if (!button) return;
      localStorage.setItem("mwanzo-install-offered", "1");
      install.hidden = true;
      if (button.hasAttribute("data-install-yes")) event.prompt();
    });
  });

  // --- a quiz answered or submitted without a connection waits on the phone; the server scores it by its
  // own clock when it arrives (answers that reach it after the deadline do not count)
  var quiz = document.querySelector("form[data-offline-attempt]");
  if (quiz) {
    var attemptId = quiz.getAttribute("data-offline-attempt"), submission = null;
    var fields = function () {  // the form as the server reads it: each field's values, by name
      var values = {};
      new FormData(quiz).forEach(function (value, name) {
        if (name !== "csrf_token") (values[name] = values[name] || []).push(value);
      });
      return values;
    };
    document.addEventListener("htmx:beforeRequest", function (event) {
      var question = event.target.getAttribute("data-question");
      if (navigator.onLine || !question || !quiz.contains(event.target)) return;
      event.preventDefault();
      queue({ kind: "answer", attempt_id: attemptId, question_id: question, fields: fields() });
    });
    quiz.addEventListener("submit", function (event) {
      if (navigator.onLine) return;
      event.preventDefault();
      submission = { kind: "quiz", attempt_id: attemptId, fields: fields() };
      queue(submission);
    });
    document.addEventListener("mwanzo:sent", function (event) {
      if (submission && event.detail[submission.id]) location.assign(quiz.getAttribute("data-offline-result"));
    });
  }
  // --- a timed quiz says before starting that it needs a connection
  var needsConnection = document.querySelector("[data-needs-connection]");
  if (needsConnection) {
    var start = needsConnection.parentNode.querySelector("form button");
    var show = function () { needsConnection.hidden = navigator.onLine; if (start) start.disabled = !navigator.onLine; };
    window.addEventListener("online", show);
    window.addEventListener("offline", show);
    show();
  }
})();
