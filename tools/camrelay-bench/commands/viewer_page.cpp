// camrelay-bench: the viewer page. Like a camera's own page it opens a
// WebSocket to the address it was loaded from and shows what arrives.
#include "viewer_page.hpp"

namespace camrelay::bench {

std::string viewer_page() {
    return R"page(<!DOCTYPE html>
<html lang="en">
<head><meta charset="utf-8"><title>camrelay-bench camera</title></head>
<body>
<h1>camrelay-bench camera</h1>
<p>This stand-in camera echoes WebSocket messages or streams binary ones.</p>
<p id="status">connecting...</p>
<script>
const url = location.href.replace(/^http/, "ws");
const socket = new WebSocket(url);
socket.binaryType = "arraybuffer";
let messages = 0, bytes = 0;
socket.onopen = () => { document.getElementById("status").textContent = "open: " + url; };
socket.onmessage = (e) => {
  messages += 1; bytes += e.data.byteLength || 0;
  document.getElementById("status").textContent = messages + " messages, " + bytes + " bytes";
};
socket.onclose = (e) => { document.getElementById("status").textContent = "closed (" + e.code + ")"; };
</script>
</body>
</html>
)page";
}

}  // namespace camrelay::bench
