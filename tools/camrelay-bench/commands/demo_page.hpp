// camrelay-bench: the demo camera's own page (`serve --mode demo`), served
// on its port like a camera's viewer page. Plain HTML and one inline
// script, nothing from elsewhere, so that it works inside the relay's
// sandbox for camera pages (an opaque origin: no storage, no cookies): it
// opens the WebSocket at its own address with the page's query (the k=
// key), draws each frame on a canvas and shows the frame rate, the latency
// and what it received. window.demoStats holds the same for tests.
#pragma once

#include <string>

namespace camrelay::bench {

std::string demo_page();

}  // namespace camrelay::bench
