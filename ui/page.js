// Browser-side helpers for the chat page, loaded through gr.Blocks(head=...). No network, no libraries.
(function () {
  "use strict";

  // Gradio 6 shows its API view for ?view=api only once the view's code is loaded, which happens on
  // a click on the footer's "API" button: without this, /?view=api opens the plain chat.
  function openApiView() {
    if (new URLSearchParams(location.search).get("view") !== "api") return;
    let tries = 0;
    const timer = setInterval(function () {
      const button = document.querySelector('footer[aria-label="Gradio footer navigation"] button');
      if (!button && ++tries < 150) return;
      clearInterval(timer);
      if (!button || document.querySelector(".api-docs")) return;
      button.click();  // the view is marked open but not loaded: this closes it ...
      setTimeout(function () { button.click(); }, 50);  // ... and this loads and opens it
    }, 100);
  }

  window.addEventListener("load", openApiView);
})();
