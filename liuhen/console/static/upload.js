// Streams the chosen file as the request body (no multipart, no copy in memory) and
// shows the upload's progress; the console passes the bytes on to the media service.
(function () {
  var form = document.getElementById("upload-form");
  if (!form) return;
  form.addEventListener("submit", function (event) {
    event.preventDefault();
    var file = document.getElementById("upload-file").files[0];
    var bar = document.getElementById("upload-progress");
    var status = document.getElementById("upload-status");
    var query = new URLSearchParams({
      request_id: crypto.randomUUID ? crypto.randomUUID() : String(Date.now()),
      kind: document.getElementById("upload-kind").value,
      device: document.getElementById("upload-device").value,
      place: document.getElementById("upload-place").value,
      start: document.getElementById("upload-start").value,
      end: document.getElementById("upload-end").value,
    });
    var xhr = new XMLHttpRequest();
    xhr.open("POST", form.dataset.action + "?" + query.toString());
    xhr.setRequestHeader("Content-Type", file.type || "application/octet-stream");
    xhr.upload.onprogress = function (e) {
      if (e.lengthComputable) bar.value = Math.round((100 * e.loaded) / e.total);
    };
    xhr.onload = function () {
      var reply = {};
      try { reply = JSON.parse(xhr.responseText); } catch (e) { reply = {message: xhr.statusText}; }
      if (xhr.status === 200) {
        bar.value = 100;
        status.textContent = "已上传，SHA-256 " + reply.sha256;
        status.dataset.done = "true";
        // The page drawn again shows the recording, and still says it was uploaded.
        setTimeout(function () {
          location.replace(location.pathname + "?uploaded=" + encodeURIComponent(reply.sha256));
        }, 800);
      } else {
        status.className = "overdue";
        status.textContent = reply.message + (reply.article ? "（" + reply.article + "）" : "");
      }
    };
    xhr.onerror = function () { status.className = "overdue"; status.textContent = "上传中断"; };
    xhr.send(file);
  });
})();
