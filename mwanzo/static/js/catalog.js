// Catalog search enhancements (the GET form works without this file):
// drop empty fields so pushed URLs stay short, and after back/forward put the
// form fields back in step with the URL that htmx restored.
(function () {
  document.addEventListener("htmx:configRequest", function (event) {
    var form = event.detail.elt;
    if (!form.hasAttribute || !form.hasAttribute("data-drop-empty")) return;
    var data = event.detail.formData, empty = [];
    data.forEach(function (value, name) { if (value === "") empty.push(name); });
    empty.forEach(function (name) { data.delete(name); });
  });

  function syncForm() {
    var form = document.querySelector("form[data-drop-empty]");
    if (!form) return;
    var params = new URLSearchParams(window.location.search);
    Array.prototype.forEach.call(form.elements, function (field) {
      if (field.name) field.value = params.get(field.name) || (field.tagName === "SELECT" ? field.options[0].value : "");
    });
  }
  document.addEventListener("htmx:historyRestore", syncForm);
})();
