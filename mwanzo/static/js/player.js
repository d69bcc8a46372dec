// Attach HLS to <video data-hls>: native HLS where the browser has it, hls.js light elsewhere.
// Without this file the <source> MP4 inside the video plays instead.
document.querySelectorAll("video[data-hls]").forEach(function (video) {
  var master = video.getAttribute("data-hls");
  if (video.canPlayType("application/vnd.apple.mpegurl")) {
    video.src = master;
  } else if (window.Hls && window.Hls.isSupported()) {
    var hls = new window.Hls({ capLevelToPlayerSize: true, startLevel: 0 });
    hls.loadSource(master);
    hls.attachMedia(video);
  }
});
