// Saving lessons on the phone (lesson page) and the list of what is saved ("Saved on this phone" page).
// Each lesson is one cache, "mwanzo-saved-<lesson id>": its page, playlist, segments, poster and captions under
// unsigned paths (sw.js answers from them), and /saved/meta.json saying what it is and until when it plays.
(function () {
  "use strict";
  if (!window.mwanzoOffline) return;
  var SAVED = "mwanzo-saved-", ASSETS = "mwanzo-assets", META = "/saved/meta.json";

  function writeMeta(cache, meta) { return cache.put(META, new Response(JSON.stringify(meta), { headers: { "Content-Type": "application/json" } })); }

  // --- lesson page: save, pause, resume, cancel
  var box = document.querySelector("[data-offline-save]");
  if (box) {
    var bar = box.querySelector("progress"), text = box.querySelector("[data-save-status]");
    var controls = box.querySelector("[data-save-controls]"), courseButton = box.querySelector("[data-save='course']");
    var run = null;  // {url, controller, paused, caches: [names]}
    box.hidden = false;

    var quality = function () { var picked = box.querySelector("input[name=save-quality]:checked"); return picked ? picked.value : ""; };
    box.addEventListener("change", function (event) {
      if (event.target.name === "save-quality" && courseButton) courseButton.textContent = event.target.getAttribute("data-course-label");
    });
    var show = function (key, done, total) {
      box.querySelector("[data-save-progress]").hidden = false;
      if (total) { bar.max = total; bar.value = Math.min(done, total); }
      text.textContent = box.getAttribute("data-" + key);
      controls.hidden = key === "saved";
      controls.querySelector("[data-save-action=pause]").hidden = key !== "saving";
      controls.querySelector("[data-save-action=resume]").hidden = key === "saving";
    };

    var saveFile = function (cache, url, key, signal) {
      return cache.match(key).then(function (hit) {
        if (hit) return hit.blob().then(function (blob) { return blob.size; });
        return fetch(url, { credentials: "same-origin", signal: signal }).then(function (response) {
          if (!response.ok) throw new Error("HTTP " + response.status);
          var type = response.headers.get("Content-Type") || "application/octet-stream";
          return response.blob().then(function (blob) {
            window.mwanzoOffline.ask({ type: "count", kind: key.indexOf("/static/") === 0 ? "pages" : "video", bytes: blob.size });
            return cache.put(key, new Response(blob, { headers: { "Content-Type": type, "Content-Length": String(blob.size) } }))
              .then(function () { return blob.size; });
          });
        });
      });
    };

    // The page's scripts and stylesheet, once for every saved lesson; older versions of them go.
    var keepAssets = function (assets, state) {
      return caches.open(ASSETS).then(function (cache) {
        return cache.keys().then(function (old) {
          old.forEach(function (request) { if (assets.indexOf(new URL(request.url).pathname) < 0) cache.delete(request); });
          return Promise.all(assets.map(function (url) { return saveFile(cache, url, url, state.controller.signal); }));
        });
      });
    };

    var saveLesson = function (plan, state, total) {
      var name = SAVED + plan.lesson_id;
      state.caches.push(name);
      return caches.open(name).then(function (cache) {
        var meta = { lesson_id: plan.lesson_id, title: plan.title, page: plan.page, quality: plan.quality,
                     playlist: plan.playlist, video: plan.video, poster: plan.poster, until: plan.until, started: Date.now(), complete: false, stored: 0 };
        var files = [{ url: plan.page, key: plan.page }];
        if (plan.playlist) files.push({ url: plan.playlist, key: plan.playlist });
        files = files.concat(plan.files);
        return writeMeta(cache, meta).then(function next() {
          if (state.paused) throw new Error("paused");
          var file = files.shift();
          if (!file) { meta.complete = true; return writeMeta(cache, meta); }
          return saveFile(cache, file.url, file.key, state.controller.signal).then(function (size) {
            meta.stored += size;
            state.done += size;
            show("saving", state.done, total);
            return next();
          });
        });
      });
    };

    var start = function (url) {
      var state = run = { url: url, paused: false, controller: new AbortController(), caches: [], done: 0 };
      show("saving", 0, 0);
      fetch(url + "?quality=" + encodeURIComponent(quality()), { credentials: "same-origin" })
        .then(function (response) { if (!response.ok) throw new Error("HTTP " + response.status); return response.json(); })
        .then(function (answer) {
          var total = answer.lessons.reduce(function (sum, plan) { return sum + (plan.bytes || 0); }, 0) || 1;
          if (navigator.storage && navigator.storage.persist) navigator.storage.persist();
          return keepAssets(answer.lessons[0].assets, state).then(function () {
            return answer.lessons.reduce(function (chain, plan) {
            return chain.then(function () { return saveLesson(plan, state, total); });
            }, Promise.resolve());
          }).then(function () { bar.value = bar.max; show("saved"); });
        })
        .catch(function (error) {
          if (state !== run) return;  // cancelled
          if (error && error.name === "QuotaExceededError") show("full");
          else show(state.paused ? "paused" : "failed");
        });
    };

    box.addEventListener("click", function (event) {
      var button = event.target.closest("button");
      if (!button) return;
      if (button.hasAttribute("data-save")) {
        start(box.getAttribute(button.getAttribute("data-save") === "course" ? "data-course-plan" : "data-lesson-plan"));
      } else if (run && button.getAttribute("data-save-action") === "pause") {
        run.paused = true; run.controller.abort(); show("paused");
      } else if (run && button.getAttribute("data-save-action") === "resume") {
        start(run.url);  // a fresh plan: new signed URLs; files already kept are not fetched again
      } else if (run && button.getAttribute("data-save-action") === "cancel") {
        var names = run.caches;
        run.controller.abort(); run = null;
        names.forEach(function (name) { caches.delete(name); });
        box.querySelector("[data-save-progress]").hidden = true;
        controls.hidden = true;
      }
    });
  }

  // --- the "Saved on this phone" page
  var list = document.querySelector("[data-saved-list]");
  if (!list) return;
  var template = list.querySelector("template");
  var megabytes = window.mwanzoOffline.megabytes;
  function render() {
    caches.keys().then(function (names) {
      return Promise.all(names.filter(function (n) { return n.indexOf(SAVED) === 0; }).map(function (name) {
        return caches.open(name).then(function (cache) { return cache.match(META); })
          .then(function (hit) { return hit ? hit.json() : null; })
          .then(function (meta) { if (meta) meta.cache = name; return meta; });
      }));
    }).then(function (items) {
      var rows = list.querySelector("ul");
      rows.textContent = "";
      items.filter(Boolean).forEach(function (meta) {
        var row = template.content.firstElementChild.cloneNode(true);
        var link = row.querySelector("a");
        link.href = meta.page;
        link.textContent = meta.title;
        row.querySelector("[data-size]").textContent = megabytes(meta.stored) + (meta.quality ? " · " + meta.quality : "") +
          " · " + (meta.complete ? list.getAttribute("data-until").replace("{date}",
            new Date(meta.until).toLocaleDateString(document.documentElement.lang)) : list.getAttribute("data-incomplete"));
        row.querySelector("button").addEventListener("click", function () { caches.delete(meta.cache).then(render); });
        rows.appendChild(row);
      });
      list.querySelector("[data-empty]").hidden = items.filter(Boolean).length > 0;
    });
    if (navigator.storage && navigator.storage.estimate) {
      navigator.storage.estimate().then(function (estimate) {
        list.querySelector("[data-estimate]").textContent = list.getAttribute("data-estimate-text")
          .replace("{used}", megabytes(estimate.usage || 0)).replace("{quota}", megabytes(estimate.quota || 0));
      });
    }
  }
  var persist = list.querySelector("[data-persist]");
  if (navigator.storage && navigator.storage.persisted) {
    navigator.storage.persisted().then(function (yes) { persist.hidden = yes; });
    persist.addEventListener("click", function () { navigator.storage.persist().then(function (yes) { persist.hidden = yes; }); });
  }
  list.hidden = false;
  list.parentNode.querySelector("[data-needs-script]").hidden = true;
  render();
})();
