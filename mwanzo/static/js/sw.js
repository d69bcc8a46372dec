// Mwanzo's service worker (served as /sw.js). Pages stay server-rendered; this only
// - answers for lessons saved on the phone (one cache per lesson, files under unsigned paths),
// - serves a visited page's last copy when there is no connection,
// - counts the bytes lessons cost this month (IndexedDB "mwanzo", store "meter"),
// - keeps the changes made offline (store "queue") and sends them when the connection is back.
"use strict";
var SAVED = "mwanzo-saved-";   // + lesson id: its page, playlist, segments, poster, captions and "meta"
var PAGES = "mwanzo-pages";    // the last copy of the few pages worth having offline
// "mwanzo-assets" (save.js) keeps the scripts and stylesheet saved pages need.
var META = "/saved/meta.json";
var KEPT_PAGES = ["/saved", "/dashboard"];

self.addEventListener("install", function () { self.skipWaiting(); });
self.addEventListener("activate", function (event) { event.waitUntil(self.clients.claim()); });

// ---------------------------------------------------------------- IndexedDB, in one small helper
function store(name, mode, work) {
  return new Promise(function (resolve, reject) {
    var open = indexedDB.open("mwanzo", 1);
    open.onupgradeneeded = function () {
      open.result.createObjectStore("meter");
      open.result.createObjectStore("queue", { keyPath: "seq", autoIncrement: true });
    };
    open.onerror = function () { reject(open.error); };
    open.onsuccess = function () {
      var tx = open.result.transaction(name, mode), out = {};
      work(tx.objectStore(name), out);
      tx.oncomplete = function () { open.result.close(); resolve(out.value); };
      tx.onerror = function () { open.result.close(); reject(tx.error); };
    };
  });
}
function getAll(objectStore, out) { objectStore.getAll().onsuccess = function (e) { out.value = e.target.result; }; }

// ---------------------------------------------------------------- the data meter
// Lesson pages and what the media element fetches itself (an MP4, played or seeked) are counted here, as they
// pass; what scripts fetch (hls.js in the player, save.js while saving) is counted by them, and they tell this
// worker. The player plays HLS through hls.js whenever this worker runs: the browser's own player bypasses it.
function month() { return new Date().toISOString().slice(0, 7); }
function add(kind, bytes) {
  return store("meter", "readwrite", function (meter) {
    var key = month();
    meter.get(key).onsuccess = function (e) {
      var totals = e.target.result || { video: 0, pages: 0 };
      totals[kind] += bytes;
      meter.put(totals, key);
    };
  });
}
function countPage(response) {
  var length = parseInt(response.headers.get("Content-Length") || "", 10);
  var size = isNaN(length) ? response.clone().arrayBuffer().then(function (b) { return b.byteLength; })
                           : Promise.resolve(length);
  return size.then(function (bytes) { return add("pages", bytes); });
}
function countRead(response) {
  // The bytes the media element reads, not the Content-Length: it drops a response part-way on a seek.
  // (An opaque response, from another host, cannot be read here.)
  if (!response.body || response.type === "opaque") return response;
  var reader = response.body.getReader(), bytes = 0;
  function done() { if (bytes) add("video", bytes).catch(function () {}); bytes = 0; }
  return new Response(new ReadableStream({
    pull: function (out) {
      return reader.read().then(function (part) {
        if (part.done) { done(); out.close(); } else { bytes += part.value.byteLength; out.enqueue(part.value); }
      }, function (error) { done(); out.error(error); });
    },
    cancel: function (reason) { done(); return reader.cancel(reason); }
  }), { status: response.status, statusText: response.statusText, headers: response.headers });
}

// ---------------------------------------------------------------- answering requests
function cacheKey(url) {
  // A signed media URL matches its saved copy whatever its signature and expiry.
  return url.pathname.indexOf("/media/") === 0 ? url.origin + url.pathname : url.href.split("#")[0];
}

function ranged(request, response) {
  // The media element asks for byte ranges; a saved file is kept whole, so the range is cut from it.
  var match = /bytes=(\d*)-(\d*)/.exec(request.headers.get("Range") || "");
  if (!match || response.status !== 200) return response;
  return response.arrayBuffer().then(function (body) {
    var size = body.byteLength;
    var start = match[1] ? parseInt(match[1], 10) : Math.max(0, size - parseInt(match[2], 10));
    var end = match[1] && match[2] ? Math.min(parseInt(match[2], 10), size - 1) : size - 1;
    if (start >= size || start > end) {
      return new Response(null, { status: 416, headers: { "Content-Range": "bytes */" + size } });
    }
    return new Response(body.slice(start, end + 1), { status: 206, headers: {
      "Content-Type": response.headers.get("Content-Type") || "application/octet-stream",
      "Content-Range": "bytes " + start + "-" + end + "/" + size, "Content-Length": String(end - start + 1),
      "Accept-Ranges": "bytes" } });
  });
}

function page(request, url) {
  // Network first: a page online is fresh (new signed URLs, saved position); offline, its last copy.
  return fetch(request).then(function (response) {
    if (url.pathname.indexOf("/learn/") === 0 && response.status < 400) countPage(response).catch(function () {});
    if (response.ok && KEPT_PAGES.indexOf(url.pathname) >= 0) {
      var copy = response.clone();
      caches.open(PAGES).then(function (cache) { cache.put(url.pathname, copy); });
    }
    return response;
  }, function () {
    return caches.match(url.href, { ignoreSearch: true }).then(function (hit) {
      return hit || caches.match("/saved") || Response.error();
    });
  });
}

self.addEventListener("fetch", function (event) {
  var request = event.request, url = new URL(request.url);
  if (request.method !== "GET") return;
  // Top-level pages only: a frame's navigation goes to the server as the browser made it (Sec-Fetch-Dest:
  // iframe), which confirmation pages (web/confirmation.py) refuse; one passed on from here says "empty".
  if (request.mode === "navigate" && request.destination === "document") {
    event.respondWith(page(request, url)); return;
  }
  if (url.origin === location.origin && url.pathname.indexOf("/static/") === 0) {
    // Assets come from the browser's cache or the server as without this worker; saving a lesson keeps a
    // copy of the ones its page needs, for when neither can answer.
    event.respondWith(fetch(request).catch(function () {
      return caches.match(url.href).then(function (hit) { return hit || Response.error(); });
    }));
    return;
  }
  if (url.origin !== location.origin) return;
  // The unsigned paths a saved copy's playlist names, and that playlist, come from the phone when kept;
  // signed media URLs (?exp=&sig=) are left to the browser and its cache, unless there is no connection.
  var media = url.pathname.indexOf("/media/") === 0;
  var kept = (media && (!url.search || !self.navigator.onLine)) ||
             /^\/learn\/[^/]+\/lessons\/[^/]+\/saved\//.test(url.pathname);
  // What the media element fetches itself (a lesson's MP4, through its redirect to a signed URL) is counted.
  var played = request.destination === "video" || request.destination === "audio";
  if (!kept && !played) return;
  event.respondWith((kept ? caches.match(cacheKey(url)) : Promise.resolve()).then(function (hit) {
    if (hit) return ranged(request, hit);
    return played ? fetch(request).then(countRead) : fetch(request);
  }));
});

// ---------------------------------------------------------------- saved lessons: expiry and access
function savedLessons() {
  return caches.keys().then(function (names) {
    return Promise.all(names.filter(function (n) { return n.indexOf(SAVED) === 0; }).map(function (name) {
      return caches.open(name).then(function (cache) { return cache.match(META); }).then(function (hit) {
        return hit ? hit.json().then(function (meta) { meta.cache = name; return meta; }) : { cache: name };
      });
    }));
  });
}

function checkAccess() {
  // Copies past their access date go (even offline); online, the server says which the learner may still keep.
  return savedLessons().then(function (items) {
    var now = Date.now(), kept = [];
    items.forEach(function (item) {
      if (item.complete && !(item.until > now)) caches.delete(item.cache);
      else if (item.lesson_id) kept.push(item);  // a save still under way is checked too
    });
    if (!kept.length) return;  // without a connection the fetch below fails, and nothing is deleted
    var query = kept.map(function (item) { return "lesson=" + item.lesson_id; }).join("&");
    return fetch("/saved/access.json?" + query, { credentials: "same-origin", redirect: "error" })
      .then(function (response) { return response.ok ? response.json() : null; })
      .then(function (answer) {
        if (!answer) return;  // signed out: nothing can be told
        return Promise.all(kept.map(function (item) {
          var until = answer.lessons[item.lesson_id];
          if (!until) return caches.delete(item.cache);
          item.until = until;
          return caches.open(item.cache).then(function (cache) { return cache.put(META, Response.json(item)); });
        }));
      });
  }).catch(function () {});
}

// ---------------------------------------------------------------- the queue of offline changes
function tell(message) {
  return self.clients.matchAll({ includeUncontrolled: true }).then(function (clients) {
    clients.forEach(function (client) { client.postMessage(message); });
  });
}

var sending = null;
function send() {  // resolves true when nothing is left to send
  if (sending) return sending;
  sending = store("queue", "readonly", getAll).then(function (items) {
    if (!items.length) return;
    var token = items[items.length - 1].csrf;
    var body = items.map(function (item) { return item.change; });
    return fetch("/saved/queue", { method: "POST", credentials: "same-origin", redirect: "error",
                                   headers: { "Content-Type": "application/json", "X-CSRFToken": token },
                                   body: JSON.stringify({ items: body }) })
      .then(function (response) { if (!response.ok) throw new Error(response.status); return response.json(); })
      .then(function (answer) {
        return store("queue", "readwrite", function (queue) {
          items.forEach(function (item) { queue.delete(item.seq); });
        }).then(function () { return tell({ type: "sent", outcomes: answer.outcomes }); });
      });
  }).then(function () { return true; }, function () { return false; })
    .then(function (sent) { sending = null; return sent; });
  return sending;
}

function enqueue(change, csrf) {
  return store("queue", "readwrite", function (queue) { queue.add({ change: change, csrf: csrf }); })
    .then(function () { return self.registration.sync ? self.registration.sync.register("mwanzo-queue") : null; })
    .catch(function () {})
    .then(send);  // without a connection it fails and the change waits
}

self.addEventListener("sync", function (event) {
  // A sync that could not send fails, so the browser tries again later by itself.
  if (event.tag === "mwanzo-queue") event.waitUntil(send().then(function (sent) { if (!sent) throw new Error("unsent"); }));
});

self.addEventListener("message", function (event) {
  var data = event.data || {}, port = event.ports[0];
  function reply(value) { if (port) port.postMessage(value); }
  if (data.type === "queue") event.waitUntil(enqueue(data.change, data.csrf).then(reply));
  else if (data.type === "online") event.waitUntil(Promise.all([checkAccess(), send()]).then(reply));
  else if (data.type === "meter") {
    event.waitUntil(store("meter", "readonly", function (meter, out) {
      meter.get(month()).onsuccess = function (e) { out.value = e.target.result || { video: 0, pages: 0 }; };
    }).then(reply));
  } else if (data.type === "count") event.waitUntil(add(data.kind === "pages" ? "pages" : "video", Number(data.bytes) || 0).then(reply));
  else if (data.type === "pending") event.waitUntil(store("queue", "readonly", getAll).then(function (items) { reply(items.length); }));
}
);
