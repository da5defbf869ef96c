// Browser-side helpers for the chat page, loaded through gr.Blocks(head=...). No network, no libraries.
(function () {
  "use strict";

  // Gradio 6 shows its API view for ?view=api only once the view's code is loaded, which happens on
  // a click on the footer's "API" button: without this, /?view=api opens the plain chat.
  function openApiView() {
    if (new URLSearchParams(location.search).get("view") !== "api") return;
    let tries = 0;
    const timer = setInterval(function () {
      const button = document.querySelector('footer button.show-api');
      if (!button && ++tries < 150) return;
      clearInterval(timer);
      if (!button || document.querySelector(".api-docs")) return;
      button.click();  // the view is marked open but not loaded: this closes it ...
      setTimeout(function () { button.click(); }, 50);  // ... and this loads and opens it
    }, 100);
  }

  // --- Language: the page is written in Chinese; English follows the browser, or the switch. ---
  const EN = {
    "文档问答": "Document Q&A", "发送": "Send", "停止": "Stop", "新对话": "New chat", "导出 Markdown": "Export Markdown",
    "设置": "Settings", "关于索引": "About the index", "深色": "Dark", "浅色": "Light", "English": "中文",
    "输入问题，按回车发送": "Ask a question, press Enter", "可以写一句意见（可选），按回车提交": "Add a comment (optional), press Enter",
    "检索段落数（top-k）": "Passages to retrieve (top-k)", "检索方式": "Retrieval mode", "回答方式": "Answer backend",
    "来源": "Sources", "提问后，这里列出回答引用的原文段落，支持回答的句子会高亮显示。":
      "After you ask, the cited passages appear here, with the supporting sentence highlighted.",
    "正在检索和作答…": "Searching and answering…", "用时": "took", "秒": "s",
    "知识库": "Knowledge base", "知识库：新建、上传、管理文档": "Knowledge bases: create, upload, manage documents",
    "新建知识库": "New knowledge base", "上传的文件": "Uploaded files", "删除所选文件": "Delete selected file",
    "重新索引": "Re-index", "文件": "File", "类型": "Type", "大小": "Size", "段落数": "Chunks", "状态": "Status",
    "已索引": "indexed", "新知识库的名称（字母、数字或中文）": "Name of the new knowledge base",
  };
  const ORIGINAL = new WeakMap();
  function language() {
    const chosen = localStorage.getItem("rag-lang");
    if (chosen) return chosen;
    return (navigator.language || "zh").toLowerCase().startsWith("zh") ? "zh" : "en";
  }
  function translate(root) {
    const en = language() === "en";
    document.documentElement.lang = en ? "en" : "zh-CN";
    const walker = document.createTreeWalker(root || document.body, NodeFilter.SHOW_TEXT);
    for (let node = walker.nextNode(); node; node = walker.nextNode()) {
      if (node.parentElement && node.parentElement.closest("#rag-chat .message, #rag-sources .rag-passage")) continue;
      // Remember what the page wrote and what we wrote; anything else means the page changed the text since.
      const seen = ORIGINAL.get(node);
      const original = seen && (node.nodeValue === seen[0] || node.nodeValue === seen[1]) ? seen[0] : node.nodeValue;
      const key = original.trim();
      if (!(key in EN)) { ORIGINAL.delete(node); continue; }
      const want = en ? original.replace(key, EN[key]) : original;
      ORIGINAL.set(node, [original, want]);
      if (node.nodeValue !== want) node.nodeValue = want;
    }
    document.querySelectorAll("textarea[placeholder], input[placeholder]").forEach(function (el) {
      const original = el.dataset.ragPlaceholder || el.placeholder;
      if (!(original in EN)) return;
      el.dataset.ragPlaceholder = original;
      el.placeholder = en ? EN[original] : original;
    });
  }
  window.ragToggleLanguage = function () {
    localStorage.setItem("rag-lang", language() === "en" ? "zh" : "en");
    translate();
  };

  // --- Light / dark, kept across reloads. Gradio styles its dark theme from body.dark. ---
  function applyTheme() {
    const dark = localStorage.getItem("rag-theme") === "dark";
    document.body.classList.toggle("dark", dark);
    labelTheme();
  }
  function labelTheme() {  // the button names the theme it switches to
    const button = document.getElementById("rag-theme");
    const want = document.body.classList.contains("dark") ? "浅色" : "深色";
    if (button && ORIGINAL.get(button.firstChild) === undefined && button.textContent.trim() !== want
        || button && ORIGINAL.get(button.firstChild) && ORIGINAL.get(button.firstChild)[0].trim() !== want) {
      ORIGINAL.delete(button.firstChild);
      button.textContent = want;
      translate(button);
    }
  }
  window.ragToggleTheme = function () {
    localStorage.setItem("rag-theme", localStorage.getItem("rag-theme") === "dark" ? "light" : "dark");
    applyTheme();
  };

  // --- [n] markers in answers become links to their source in the sources panel. ---
  const MARKER = /\[(\d{1,3})\]/g;
  function linkMarkers() {
    document.querySelectorAll('#rag-chat [data-testid="bot"]').forEach(function (bubble) {
      const walker = document.createTreeWalker(bubble, NodeFilter.SHOW_TEXT);
      const found = [];
      for (let node = walker.nextNode(); node; node = walker.nextNode()) {
        if (!node.parentElement.closest(".rag-cite") && MARKER.test(node.nodeValue)) found.push(node);
        MARKER.lastIndex = 0;
      }
      found.forEach(function (node) {
        const parts = node.nodeValue.split(/(\[\d{1,3}\])/);
        const frag = document.createDocumentFragment();
        parts.forEach(function (part) {
          const m = /^\[(\d{1,3})\]$/.exec(part);
          if (!m) { frag.appendChild(document.createTextNode(part)); return; }
          const a = document.createElement("a");
          a.className = "rag-cite"; a.href = "#rag-source-" + m[1]; a.dataset.n = m[1]; a.textContent = part;
          a.title = "查看来源 " + part;
          frag.appendChild(a);
        });
        node.parentNode.replaceChild(frag, node);
      });
    });
  }
  function showSource(n, tries) {
    const el = document.getElementById("rag-source-" + n);
    if (!el) { if (tries > 0) setTimeout(function () { showSource(n, tries - 1); }, 100); return; }
    el.scrollIntoView({behavior: "smooth", block: "nearest"});
    document.querySelectorAll(".rag-source.rag-flash").forEach(function (s) { s.classList.remove("rag-flash"); });
    el.classList.add("rag-flash");
  }
  document.addEventListener("click", function (event) {
    const cite = event.target.closest && event.target.closest("a.rag-cite");
    if (!cite) return;
    event.preventDefault();
    // The click also selects the message, which shows that answer's sources: wait for them.
    setTimeout(function () { showSource(cite.dataset.n, 20); }, 150);
  });

  // --- Copy: plain text with numbered source urls, not the chat's markup. ---
  function plainAnswer(markdown) {
    const box = document.createElement("textarea");
    const refs = /<small>来源：([\s\S]*?)<\/small>/.exec(markdown);
    let text = markdown.replace(/<small>[\s\S]*?<\/small>/g, "").replace(/\\([\\`\[\]()!:@$~{}.])/g, "$1");
    box.innerHTML = text; text = box.value.trim();
    if (refs) {
      box.innerHTML = refs[1].replace(/<!-- (\S+) -->/g, " $1").replace(/\\([\\`\[\]()!:@$~{}.])/g, "$1");
      text += "\n\n来源：\n" + box.value.split("；").map(function (s) { return s.trim(); }).join("\n");
    }
    return text;
  }
  if (navigator.clipboard && navigator.clipboard.writeText) {
    const write = navigator.clipboard.writeText.bind(navigator.clipboard);
    navigator.clipboard.writeText = function (text) {
      return write(typeof text === "string" && text.indexOf("<small>") >= 0 ? plainAnswer(text) : text);
    };
  }
  window.ragPlainAnswer = plainAnswer;

  // --- Export the conversation (as the browser keeps it) as a Markdown file. ---
  window.ragExport = function (saved) {
    const lines = ["# " + document.title, ""];
    (saved || []).forEach(function (turn) {
      lines.push("## " + turn.question, "");
      const a = turn.answer;
      lines.push(a ? a.answer : "（没有回答）", "");
      ((a && a.citations) || []).forEach(function (c) {
        lines.push("[" + c.n + "]: " + c.url + " \"" + c.title.replace(/"/g, "'") + "\"");
        if (c.quote) lines.push("> " + c.quote.replace(/\n/g, " "));
      });
      lines.push("");
    });
    const blob = new Blob([lines.join("\n")], {type: "text/markdown;charset=utf-8"});
    const link = document.createElement("a");
    link.href = URL.createObjectURL(blob);
    link.download = "对话-" + new Date().toISOString().slice(0, 19).replace(/[:T]/g, "-") + ".md";
    document.body.appendChild(link); link.click(); link.remove();
    window.ragLastExport = lines.join("\n");
    return [];
  };

  // Gradio adds head= scripts when the app mounts, which may be after the window's load event.
  function start() {
    openApiView();
    applyTheme();
    translate();
    let queued = false;
    new MutationObserver(function () {
      if (queued) return;
      queued = true;
      requestAnimationFrame(function () { queued = false; linkMarkers(); labelTheme(); translate(); });
    }).observe(document.body, {subtree: true, childList: true, characterData: true});
  }
  if (document.readyState === "complete") start(); else window.addEventListener("load", start);
})();
