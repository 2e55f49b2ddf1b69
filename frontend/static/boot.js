// Starts the WebAssembly app. A file of its own, because the Content-Security-Policy allows
// no inline script.
import init from "/callvault_frontend.js";

init({ module_or_path: "/callvault_frontend_bg.wasm" });
