// Small progressive enhancements; every page works without this file.
document.addEventListener("click", function (event) {
  var target = event.target.closest("[data-confirm]");
  if (target && !window.confirm(target.getAttribute("data-confirm"))) {
    event.preventDefault();
  }
});

// Errors of htmx requests go to one place, base.html's #flash-errors (role="alert"). The server sends its error
// fragment with HX-Retarget pointing there; htmx's config swaps no other 4xx/5xx body, so whatever else fails
// (a proxy's error page, no connection) gets one of the region's own messages, in the page's language.
(function () {
  var TARGET = "#flash-errors";

  function region() { return document.querySelector(TARGET); }

  function isErrorFragment(xhr) {
    return !!xhr && xhr.status >= 400 && xhr.getResponseHeader("HX-Retarget") === TARGET;
  }

  function say(key) {
    var box = region();
    if (box) box.textContent = box.getAttribute("data-" + key);
  }

  document.addEventListener("htmx:beforeSwap", function (event) {
    if (isErrorFragment(event.detail.xhr)) event.detail.shouldSwap = true;
  });
  document.addEventListener("htmx:responseError", function (event) {
    if (!isErrorFragment(event.detail.xhr)) say("failed");
  });
  document.addEventListener("htmx:sendError", function () { say("offline"); });
  document.addEventListener("htmx:timeout", function () { say("offline"); });
  document.addEventListener("htmx:afterRequest", function (event) {
    var box = region();
    if (box && event.detail.successful && !isErrorFragment(event.detail.xhr)) box.textContent = "";
  });
  document.addEventListener("htmx:beforeHistorySave", function () {
    var box = region();
    if (box) box.textContent = "";  // a page restored from history starts without an old error
  });
})();
