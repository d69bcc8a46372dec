// Upload a lesson video with a progress bar. Local storage: the file is the request body, streamed to
// disk by the app. s3: straight to the bucket with presigned URLs (in parts for large files), then the
// app is told. Without this script the form posts normally (no bar).
(function () {
  var form = document.querySelector("form.upload");
  if (!form || !window.XMLHttpRequest) return;
  var bar = form.querySelector(".upload-progress");
  var message = form.querySelector(".upload-message");
  var csrf = form.querySelector("input[name=csrf_token]").value;

  function say(text) { message.textContent = text; }

  function send(method, url, body, headers, onProgress) {
    return new Promise(function (resolve, reject) {
      var xhr = new XMLHttpRequest();
      xhr.open(method, url);
      Object.keys(headers || {}).forEach(function (name) { xhr.setRequestHeader(name, headers[name]); });
      if (onProgress) xhr.upload.addEventListener("progress", function (e) { if (e.lengthComputable) onProgress(e.loaded); });
      xhr.onload = function () { resolve(xhr); };
      xhr.onerror = function () { reject(new Error("network")); };
      xhr.send(body);
    });
  }

  function json(xhr) { try { return JSON.parse(xhr.responseText); } catch (e) { return {}; } }

  function appHeaders() {
    return { "X-CSRFToken": csrf, "Accept": "application/json", "Content-Type": "application/json" };
  }

  function progress(done, total) { bar.value = Math.min(100, Math.round(done * 100 / total)); }

  function uploadLocal(file) {
    var headers = { "X-CSRFToken": csrf, "Accept": "application/json", "X-Filename": file.name,
                    "Content-Type": "application/octet-stream" };
    return send("POST", form.action, file, headers, function (loaded) { progress(loaded, file.size); });
  }

  function uploadS3(file) {
    var body = JSON.stringify({ filename: file.name, size: file.size });
    return send("POST", form.getAttribute("data-start-url"), body, appHeaders()).then(function (xhr) {
      if (xhr.status !== 200) return xhr;
      var plan = json(xhr);
      if (!plan.parts) {
        return send("PUT", plan.url, file, {}, function (loaded) { progress(loaded, file.size); }).then(function () {
          return send("POST", form.getAttribute("data-complete-url"), JSON.stringify({ key: plan.key }), appHeaders());
        });
      }
      var done = [], sent = 0;
      return plan.parts.reduce(function (chain, part) {
        return chain.then(function () {
          var start = (part.number - 1) * plan.part_bytes;
          var blob = file.slice(start, start + plan.part_bytes);
          return send("PUT", part.url, blob, {}, function (loaded) { progress(sent + loaded, file.size); })
            .then(function (xhr) {
              if (xhr.status !== 200) throw new Error("part");
              sent += blob.size;
              done.push({ number: part.number, etag: xhr.getResponseHeader("ETag") });
            });
        });
      }, Promise.resolve()).then(function () {
        var report = JSON.stringify({ key: plan.key, upload_id: plan.upload_id, parts: done });
        return send("POST", form.getAttribute("data-complete-url"), report, appHeaders());
      });
    });
  }

  function showStatus(url) {
    // Swap in the polling status fragment; htmx keeps polling it until READY or FAILED.
    var target = document.querySelector(form.getAttribute("data-status-target"));
    if (window.htmx && target) {
      window.htmx.ajax("GET", url, { target: target, swap: "outerHTML" });
    } else {
      window.location.reload();
    }
  }

  form.addEventListener("submit", function (event) {
    var file = form.querySelector("input[type=file]").files[0];
    if (!file) return;  // let the server say what is missing
    event.preventDefault();
    if (file.size > Number(form.getAttribute("data-max-bytes"))) {
      say(form.getAttribute("data-too-large"));
      return;
    }
    bar.hidden = false;
    bar.value = 0;
    form.querySelector("button").disabled = true;
    var upload = form.getAttribute("data-upload-mode") === "s3" ? uploadS3(file) : uploadLocal(file);
    upload.then(function (xhr) {
      var data = json(xhr);
      form.querySelector("button").disabled = false;
      if (xhr.status === 200 && data.status_url) {
        bar.value = 100;
        say("");
        form.reset();
        bar.hidden = true;
        showStatus(data.status_url);
      } else {
        say(data.error || data.message || form.getAttribute("data-failed"));
      }
    }).catch(function () {
      form.querySelector("button").disabled = false;
      say(form.getAttribute("data-interrupted"));
    });
  });
})();
