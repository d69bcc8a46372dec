// Lesson player: HLS natively where the browser can, hls.js (fetched only then) where it cannot,
// the MP4 in <source> as last resort. Quality and speed menus, resume, and progress saves.
(function () {
  "use strict";
  var video = document.querySelector("video[data-player]");
  if (!video) return;
  var controls = document.querySelector("[data-player-controls]");
  var qualityMenu = document.querySelector("[data-quality-menu]");
  var speedMenu = document.querySelector("[data-speed-menu]");
  var HLS_TYPE = "application/vnd.apple.mpegurl";
  var hls = null, started = false, retries = 0;
  var pendingTime = parseFloat(video.dataset.start || "0") || 0;
  var playAfterLoad = false;

  function engine() {
    if (!video.dataset.src) return "mp4";
    var mse = window.MediaSource && MediaSource.isTypeSupported('video/mp4; codecs="avc1.42E01E,mp4a.40.2"');
    // A saved copy is read through the service worker, which the browser's own HLS player (Chromium's
    // too, since 2025) bypasses; and with the worker on, every byte of video is counted on the data meter,
    // which hls.js does as it fetches.
    if ((video.dataset.saved || video.dataset.metered) && mse) return "hlsjs";
    if (video.canPlayType(HLS_TYPE)) return "native";
    return mse ? "hlsjs" : "mp4";
  }

  function loadScript(src, done, fail) {
    if (window.Hls) return done();
    var script = document.createElement("script");
    script.src = src;
    script.onload = done;
    script.onerror = fail;
    document.head.appendChild(script);
  }

  var sourceElement = video.querySelector("source");
  var fallback = sourceElement ? sourceElement.src : null;

  function useMp4() {
    // Last resort: the low-quality MP4 (what browsers without this script play from <source>).
    if (hls) { hls.destroy(); hls = null; }
    video.dataset.engine = "mp4";
    if (qualityMenu) qualityMenu.disabled = true;
    if (!fallback) return;
    if (started) { pendingTime = video.currentTime; playAfterLoad = !video.paused; }
    video.dataset.current = video.src = fallback;
  }

  function takeOver(url) {
    // HLS takes over from the MP4 <source>, which stays for browsers without this script. A tap on play
    // before hls.js arrived (slow networks) is already playing the MP4: keep it rather than pay twice.
    if (started) { noHlsJs(); return; }
    if (sourceElement) sourceElement.remove();
    setSource(url);
    video.dataset.ready = "true";
  }

  function setSource(url) {
    video.dataset.current = url;
    if (video.dataset.engine === "native") {
      video.src = url;
      if (started) video.load();
      return;
    }
    if (hls) hls.destroy();
    // Start on the lowest rung and skip hls.js's bandwidth test (it downloads the first segment, throws it
    // away and downloads it again). The cap on quality is set once, before loading: hls.js's own
    // capLevelToPlayerSize raises its cap once the player has a size and then flushes and downloads the
    // buffered segments again at the higher rung, so one segment was paid for twice per sitting.
    hls = new window.Hls({ autoStartLoad: false, startPosition: pendingTime, startLevel: 0, testBandwidth: false });
    // hls.js also drops a first segment still loading when its bandwidth estimate picks a higher rung, and
    // downloads it again there: the first segment is held to the lowest rung, then the choice is hls.js's.
    hls.on(window.Hls.Events.MANIFEST_PARSED, function (event, data) {
      hls.autoLevelCapping = capFor(data.levels);
      hls.loadLevel = 0;
      hls.startLoad(pendingTime);
    });
    // The data meter (dashboard): what hls.js fetched, unless it came from a copy saved on the phone.
    function counted(event, data) {
      var bytes = data.payload ? data.payload.byteLength : (data.stats && data.stats.loaded) || 0;
      if (window.mwanzoOffline && !video.dataset.saved && bytes) window.mwanzoOffline.ask({ type: "count", kind: "video", bytes: bytes });
    }
    hls.on(window.Hls.Events.MANIFEST_LOADED, counted);
    hls.on(window.Hls.Events.LEVEL_LOADED, counted);
    hls.on(window.Hls.Events.FRAG_LOADED, counted);
    hls.on(window.Hls.Events.FRAG_BUFFERED, function () { if (hls.loadLevel === 0 && !hls.autoLevelEnabled) hls.loadLevel = -1; });
    hls.on(window.Hls.Events.ERROR, function (event, data) {
      if (!data.fatal) return;
      if (data.type === window.Hls.ErrorTypes.MEDIA_ERROR && retries < 3) { retries += 1; hls.recoverMediaError(); return; }
      if (data.type === window.Hls.ErrorTypes.NETWORK_ERROR && retries < 3) {
        // Signed segment URLs expire and access is checked on each playlist fetch: ask again.
        retries += 1; pendingTime = video.currentTime; setSource(video.dataset.current); return;
      }
      useMp4();
    });
    hls.attachMedia(video);
    // Nothing is fetched before play, not even the playlist: a revisit costs the page alone.
    if (started) hls.loadSource(url);
  }

  function capFor(levels) {
    // The smallest rung at least as wide as the player on this screen (the highest when none is).
    var needed = (video.clientWidth || 640) * (window.devicePixelRatio || 1), best = levels.length - 1;
    for (var i = levels.length - 1; i >= 0; i--) { if ((levels[i].width || 0) >= needed) best = i; }
    return best;
  }

  function switchTo(url) {
    if (started) {
      pendingTime = video.currentTime;
      playAfterLoad = !video.paused;
    }
    setSource(url);
  }

  video.addEventListener("loadedmetadata", function () {
    if (pendingTime > 0 && (!video.duration || pendingTime < video.duration - 1)) video.currentTime = pendingTime;
    pendingTime = 0;
    if (speedMenu) video.playbackRate = parseFloat(speedMenu.value);
    if (playAfterLoad) { playAfterLoad = false; video.play(); }
  });
  video.addEventListener("play", function () {
    if (!started) {
      started = true;
      if (hls) hls.loadSource(video.dataset.current);
    }
  });

  // --- progress: every ~15 s while playing, on pause, and when the page is hidden
  var progressUrl = video.dataset.progressUrl, lastSaved = null;
  function save() {
    if (!progressUrl || !started) return;
    var position = Math.floor(video.currentTime);
    if (pendingTime > 0) return;  // still seeking to the resume point
    if (position === lastSaved && video.paused) return;
    lastSaved = position;
    if (video.dataset.lesson) localStorage.setItem("mwanzo-position-" + video.dataset.lesson, String(position));
    var offline = window.mwanzoOffline;
    function later() {  // no connection: the phone keeps it and sends it when the connection is back
      if (offline) offline.queue({ kind: "progress", slug: video.dataset.course, lesson_id: video.dataset.lesson, position: position });
    }
    if (offline && !navigator.onLine) { later(); return; }
    var body = new FormData();
    body.append("csrf_token", video.dataset.csrf);
    body.append("position", String(position));
    if (window.fetch) {
      fetch(progressUrl, { method: "POST", body: body, keepalive: true, credentials: "same-origin" })
        .then(function (response) { if (response.status === 429) lastSaved = null; })  // saved too often: next save retries
        .catch(later);
    } else if (navigator.sendBeacon) {
      navigator.sendBeacon(progressUrl, body);
    }
  }
  setInterval(function () { if (!video.paused) save(); }, 15000);
  video.addEventListener("playing", save);
  video.addEventListener("pause", save);
  video.addEventListener("ended", save);
  document.addEventListener("visibilitychange", function () { if (document.visibilityState === "hidden") save(); });
  window.addEventListener("pagehide", save);

  // --- menus
  if (speedMenu) {
    speedMenu.addEventListener("change", function () {
      video.defaultPlaybackRate = video.playbackRate = parseFloat(speedMenu.value);
    });
  }
  if (qualityMenu) {
    qualityMenu.addEventListener("change", function () {
      var option = qualityMenu.options[qualityMenu.selectedIndex];
      video.dataset.quality = option.dataset.quality;
      retries = 0;
      switchTo(option.value);
    });
  }
  // The captions menu is a form that saves the choice; here it also switches the track at once and saves
  // in the background (the server answers 204 to HX-Request).
  var captionsForm = document.querySelector("[data-captions-choice]");
  if (captionsForm) {
    var captionsMenu = captionsForm.querySelector("select");
    captionsMenu.addEventListener("change", function () {
      for (var i = 0; i < video.textTracks.length; i++) {
        var track = video.textTracks[i];
        track.mode = track.language === captionsMenu.value ? "showing" : "disabled";
      }
      fetch(captionsForm.action, {method: "POST", body: new FormData(captionsForm), credentials: "same-origin",
                                  headers: {"HX-Request": "true"}}).catch(function () {});
    });
  }
  if (controls) controls.hidden = false;

  // data-ready marks the moment the player has chosen its source: a play before it may be restarted.
  function noHlsJs() { video.dataset.engine = "mp4"; if (qualityMenu) qualityMenu.disabled = true; video.dataset.ready = "true"; }
  function begin() {
    var kind = engine();
    video.dataset.engine = kind;
    if (kind === "mp4") { noHlsJs(); return; }
    if (kind === "native") { takeOver(video.dataset.src); return; }
    loadScript(video.dataset.hlsJs, function () {
      if (window.Hls && window.Hls.isSupported()) takeOver(video.dataset.src);
      else noHlsJs();
    }, noHlsJs);
  }

  // A copy saved on this phone (save.js) plays from there, at its quality, with or without a connection;
  // offline, the last position this phone knew wins over the one in the (older) saved page.
  function useSavedCopy(meta) {
    video.dataset.saved = meta.quality;
    if (meta.poster) video.poster = meta.poster;  // the kept copy: the page's signed URL may be another host's
    if (meta.video) {  // an MP4 kept whole: its unsigned path, answered by the service worker
      if (sourceElement) { sourceElement.src = fallback = meta.video; video.load(); }
      return;
    }
    video.dataset.src = meta.playlist;
    if (qualityMenu) qualityMenu.disabled = true;
  }
  // Above the learner's monthly limit (set on the dashboard) a lesson starts as audio only; video is one tap.
  function overLimit(limitBytes) {
    var audio = qualityMenu && qualityMenu.querySelector("option[data-quality=audio]");
    if (!audio) return Promise.resolve();
    var noAnswer = new Promise(function (resolve) { setTimeout(resolve, 1500, { video: 0, pages: 0 }); });
    return Promise.race([window.mwanzoOffline.ask({ type: "meter" }), noAnswer]).then(function (used) {
      var total = used.video + used.pages, notice = document.querySelector("[data-over-limit]");
      if (total < limitBytes || !notice || video.dataset.saved) return;
      var chosen = qualityMenu.options[qualityMenu.selectedIndex];
      audio.selected = true;
      video.dataset.src = audio.value;
      video.dataset.quality = "audio";
      notice.querySelector("span").textContent = notice.getAttribute("data-text")
        .replace("{used}", window.mwanzoOffline.megabytes(total))
        .replace("{limit}", window.mwanzoOffline.megabytes(limitBytes));
      notice.hidden = false;
      notice.querySelector("button").addEventListener("click", function () {
        notice.hidden = true;
        chosen.selected = true;
        video.dataset.quality = chosen.dataset.quality;
        switchTo(chosen.value);
      });
    });
  }

  var saved = "mwanzo-saved-" + video.dataset.lesson;
  if (!window.mwanzoOffline || !video.dataset.lesson) { begin(); return; }
  var limitBytes = (parseFloat(localStorage.getItem("mwanzo-data-limit-mb") || "") || 0) * 1e6;
  video.dataset.metered = "true";
  if (!navigator.onLine) pendingTime = parseFloat(localStorage.getItem("mwanzo-position-" + video.dataset.lesson) || "") || pendingTime;
  caches.has(saved).then(function (has) {
    return has && caches.open(saved).then(function (cache) { return cache.match("/saved/meta.json"); })
      .then(function (hit) { return hit && hit.json(); });
  }).then(function (meta) {
    if (meta && meta.complete && (meta.playlist || meta.video) && meta.until > Date.now()) useSavedCopy(meta);
  }).then(function () { if (limitBytes) return overLimit(limitBytes); }).catch(function () {}).then(begin);
})();
