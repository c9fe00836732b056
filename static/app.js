// metarrd review UI: the few behaviours htmx attributes do not cover. Plain JS, no build step,
// no inline handlers (the Content-Security-Policy forbids them).
(function () {
  "use strict";

  // The live stream ends by design (a two-minute lifetime, a busy server's short answer) and the
  // browser reconnects by itself. htmx's SSE extension logs every such `error` event to the
  // console; pass it on only when the browser has given up (CLOSED), where the extension's own
  // back-off reconnects, so a normal reconnect is not reported as a failure.
  if (window.htmx && window.EventSource) {
    htmx.createEventSource = function (url) {
      var source = new EventSource(url, { withCredentials: true });
      var handler = null;
      source.addEventListener("error", function (evt) {
        if (handler && source.readyState === EventSource.CLOSED) handler.call(source, evt);
      });
      Object.defineProperty(source, "onerror", {
        get: function () { return handler; },
        set: function (fn) { handler = fn; },
      });
      return source;
    };
  }

  // Back and Forward restore the HTML htmx kept of the page, where a typed search or a ticked
  // switch is a property, not an attribute (and was kept after the click that left the page):
  // the library came back with the posters and the address of "dune" under an empty search
  // box. A form that writes the address (the library's search, switches and filters) is set
  // from the address restored, which names every one of its controls.
  document.addEventListener("htmx:historyRestore", function () {
    var params = new URLSearchParams(window.location.search);
    document.querySelectorAll('form[hx-push-url="true"]').forEach(function (form) {
      Array.prototype.forEach.call(form.elements, function (el) {
        if (!el.name || el.type === "hidden" || !params.has(el.name)) return;
        if (el.type === "checkbox" || el.type === "radio") {
          el.checked = params.getAll(el.name).indexOf(el.value) !== -1;
        } else if ("value" in el) el.value = params.get(el.name);
      });
    });
  });

  // A table header sorts the library alone (`#library`, not the search form): the Sort box
  // above takes its order, or it said "Title A–Z" over rows by year, and the next filter sent
  // that "title" back.
  document.addEventListener("htmx:load", function (evt) {
    var library = evt.detail.elt;
    var box = document.getElementById("sort");
    if (library.id !== "library" || !box || !library.dataset.sort) return;
    if (box.value !== library.dataset.sort) box.value = library.dataset.sort;
  });

  // A live refresh (an SSE-triggered or polling GET) must not wipe a field the user is editing:
  // not asked while one is open, nor swapped in when its answer comes after the user opened one
  // (asked just before Edit, answered late by a busy server).
  function editing(elt) {
    return elt && elt.hasAttribute && elt.hasAttribute("data-live") && !!elt.querySelector("form.editing");
  }
  document.addEventListener("htmx:confirm", function (evt) {
    if (editing(evt.detail.elt)) evt.preventDefault();
  });
  document.addEventListener("htmx:beforeSwap", function (evt) { // fired on the target
    var config = evt.detail.requestConfig;
    if (config && editing(config.elt)) evt.detail.shouldSwap = false;
  });

  // htmx settles a swap (processes what it swapped in: its buttons and forms, its [autofocus],
  // the handlers below) in the swap's own task: base.html's htmx-config sets the settle delay
  // to 0, not htmx's 20 ms. In between, on a loaded machine far longer than 20 ms, a key
  // pressed went to <body> (the focus not moved yet: Enter to edit again did nothing), or to a
  // form htmx had not made its own (Enter sent a plain POST: the page reloaded, the place
  // lost). No CSS transition here follows a class that settle would have animated.

  // A keyboard user keeps their place across a swap. htmx puts the focus back on an element of
  // the same id (a field's or an artwork type's lock button); when the focused element is gone (a
  // saved or cancelled edit, a picture that moved or left the selection), the focus goes to the
  // swapped element's [data-refocus] button, else its first control, not to the top of the page.
  // (A live refresh of another element may swap in between: only the swap that held the focus
  // clears the mark, when that element settles.)
  // The focus is kept only on an element the browser still renders: one in a dialog just closed
  // (the viewer after a choice) or in a part made inert or hidden stays document.activeElement
  // until Chromium's next rendering moves it to <body>, and a swap settled before then (a loaded
  // machine) took it for a kept place and left the user at the top of the page.
  function shownFocus() {
    var el = document.activeElement;
    if (!el || el === document.body || el === document.documentElement) return null;
    if (!el.isConnected) return null;
    if (el.closest("dialog:not([open]), [inert]") || !el.getClientRects().length) return null;
    return el;
  }
  // A button that came back disabled (↑ on a picture moved to #1, ↓ on one moved last) cannot
  // hold the focus: it goes to the first button beside it (the same card's other move), not to
  // the type's lock, which the next Enter, meant to move on, toggled.
  // A control of a list that leaves with its item (a picture's Remove) hands the focus to the
  // same control of the item now in its place, else of the one before it, as a tag list does:
  // the lock, the section's first control, took it and the next Enter unlocked the type.
  // An Undo in a toast swaps the part it undoes, which does not hold the focus: the focus goes
  // back to the control of that part that was used last (the Remove of the picture put back),
  // not to the top of the page with the toast's button.
  // A choice made in the viewer closes it before its answer is swapped in (the artwork section
  // shows the result, and takes the focus: the picture that opened the viewer, where the
  // dialog returns it, is gone).
  var refocus = null, focusedId = null, focusedGroup = null, lastUsed = {};
  document.addEventListener("htmx:beforeSwap", function (evt) {
    var target = evt.detail.target, active = document.activeElement;
    var viewer = document.getElementById("viewer"), config = evt.detail.requestConfig;
    if (viewer && viewer.open && config && config.elt && viewer.contains(config.elt) &&
        config.verb === "post" && !evt.detail.isError) {
      viewer.close();
      if (target && target.id && evt.detail.shouldSwap) {
        refocus = target.id;
        focusedId = null;
        focusedGroup = null;
      }
    } else if (!evt.detail.shouldSwap) {
      return;
    } else if (target && target.id && active && active.closest && active.closest("#toast form.undo")) {
      refocus = target.id;
      focusedId = lastUsed[target.id] || null;
      focusedGroup = null;
    } else if (target && target.id && active && active !== document.body && target.contains(active)) {
      refocus = target.id;
      focusedId = active.id || null;
      if (focusedId) lastUsed[target.id] = focusedId;
      focusedGroup = null;
      var group = active.getAttribute("data-refocus-group");
      if (group) {
        var members = target.querySelectorAll('[data-refocus-group="' + group + '"]');
        focusedGroup = { name: group, index: Array.prototype.indexOf.call(members, active) };
      }
    }
  });
  document.addEventListener("htmx:afterSettle", function (evt) {
    var id = refocus;
    if (!id || !evt.target || evt.target.id !== id) return;
    refocus = null;
    if (shownFocus()) return; // kept, or an [autofocus] input
    var same = focusedId && document.getElementById(focusedId);
    var group = focusedGroup;
    focusedId = null;
    focusedGroup = null;
    var beside = same && same.disabled && same.parentElement.querySelector("button:not([disabled])");
    if (beside) { beside.focus(); return; }
    var box = document.getElementById(id);
    if (same && !same.disabled && box && box.contains(same)) { same.focus(); return; }
    var members = group && box ? box.querySelectorAll('[data-refocus-group="' + group.name + '"]') : [];
    if (members.length) { members[Math.min(group.index, members.length - 1)].focus(); return; }
    var next = box && (box.querySelector("[data-refocus]") ||
      box.querySelector("button:not([disabled]), a[href], input:not([type=hidden]), textarea, select"));
    if (next) next.focus();
  });

  // An edit opens with the caret after the value (the browser puts it before: what the user
  // typed to add a tag or finish a sentence went in front of the text). On focus itself, not
  // after htmx settles: when htmx settled 20 ms after the swap (its default delay, base.html
  // sets 0), Chromium had focused the inserted field before the settle, and keys typed in
  // between went in front of the value.
  document.addEventListener("focusin", function (evt) {
    var input = evt.target;
    if (!input || !input.hasAttribute || !input.hasAttribute("autofocus") || !input.setSelectionRange) return;
    if (!input.closest("form.editing") || input.dataset.caretPlaced) return;
    input.dataset.caretPlaced = "1";
    if (input.selectionStart === 0 && input.selectionEnd === 0 && input.value) {
      input.setSelectionRange(input.value.length, input.value.length);
    }
  });

  // Escape cancels an edit in place. In a text area (a plot, a list of names) Enter is a new
  // line, so Ctrl+Enter (Cmd+Enter on a Mac) saves, as in a single-line field Enter does.
  document.addEventListener("keydown", function (evt) {
    var form = evt.target.closest && evt.target.closest("form.editing");
    if (!form) return;
    if (evt.key === "Escape") {
      var cancel = form.querySelector("[data-cancel]");
      if (cancel) cancel.click();
    } else if (evt.key === "Enter" && (evt.ctrlKey || evt.metaKey) && !evt.isComposing) {
      evt.preventDefault();
      form.requestSubmit();
    }
  });

  // "Select page" ticks every row checkbox of the library page; "All N matching" too (the
  // server then acts on every matching item, not only this page's).
  document.addEventListener("change", function (evt) {
    var id = evt.target.id;
    if (id !== "select-all" && id !== "all-matching") return;
    var boxes = document.querySelectorAll('#library-rows input[name="ids"]');
    for (var i = 0; i < boxes.length; i++) boxes[i].checked = evt.target.checked;
    var other = document.getElementById(id === "select-all" ? "all-matching" : "select-all");
    if (other && !evt.target.checked) other.checked = false;
    if (id === "all-matching" && evt.target.checked && other) other.checked = true;
  });

  // Toasts disappear after a while; errors and warnings (a bulk action that skipped some items,
  // saying why) stay a little longer. Not while the keyboard focus
  // or the pointer is on one (the Undo button the user is about to press). A toast is timed
  // once, when it appears: a part of the page that refreshes itself every 3 s settles again and
  // again, and restarting the timer then kept its toast for good.
  function fadeToasts() {
    var area = document.getElementById("toast");
    if (!area || !area.children.length) return;
    var fresh = false;
    for (var i = 0; i < area.children.length; i++) {
      if (!area.children[i].hasAttribute("data-timed")) {
        area.children[i].setAttribute("data-timed", "");
        fresh = true;
      }
    }
    if (!fresh) return;
    var danger = area.querySelector(".tone-danger, .tone-warning, [data-undo]");
    var stamp = String(Date.now());
    area.setAttribute("data-stamp", stamp);
    function fade() {
      if (!area.isConnected || area.getAttribute("data-stamp") !== stamp) return;
      if (area.contains(document.activeElement) || area.matches(":hover")) {
        window.setTimeout(fade, 2000);
        return;
      }
      area.innerHTML = "";
    }
    window.setTimeout(fade, danger ? 12000 : 6000);
  }
  document.addEventListener("DOMContentLoaded", fadeToasts);
  document.addEventListener("htmx:oobAfterSwap", fadeToasts);
  document.addEventListener("htmx:afterSettle", fadeToasts);

  // The artwork viewer: a dialog filled by htmx (the link works without JavaScript too).
  document.addEventListener("htmx:afterSwap", function (evt) {
    if (evt.detail.target && evt.detail.target.id === "viewer-body") {
      var dialog = document.getElementById("viewer");
      if (dialog && !dialog.open) dialog.showModal();
    }
  });
  document.addEventListener("click", function (evt) {
    var close = evt.target.closest && evt.target.closest("[data-close]");
    if (close) {
      var dialog = close.closest("dialog");
      if (dialog) dialog.close();
      return;
    }
    if (evt.target.tagName === "DIALOG") evt.target.close(); // a click on the backdrop
  });

  // Keyboard shortcuts for the review walk (listed on the "?" overlay). Never while typing.
  function clickIf(id) {
    var el = document.getElementById(id);
    if (el && !el.disabled) { el.click(); return true; }
    return false;
  }
  // Typing is into a text field, a text area or a list; a checkbox or a radio button (a filter
  // chip, a card's tick) takes no letters, so the shortcuts still work from there.
  function typing(t) {
    if (!t) return false;
    if (t.isContentEditable || /^(TEXTAREA|SELECT)$/.test(t.tagName)) return true;
    return t.tagName === "INPUT" && !/^(checkbox|radio|button|submit|reset)$/i.test(t.type);
  }
  function openShortcuts() {
    var dialog = document.getElementById("shortcuts");
    if (dialog && !dialog.open) dialog.showModal();
  }
  document.addEventListener("click", function (evt) {
    if (evt.target.closest && evt.target.closest("[data-shortcuts]")) openShortcuts();
  });
  document.addEventListener("keydown", function (evt) {
    if (evt.ctrlKey || evt.metaKey || evt.altKey || evt.defaultPrevented) return;
    if (typing(evt.target)) return;
    if (document.querySelector("dialog[open]") && evt.key !== "?") return;
    var done = false;
    var key = evt.key;
    // A letter's case is Shift's alone: Caps Lock turns "p" into "P" (and Shift back into "p"),
    // so with it on the lowercase shortcuts still work and Caps Lock and p never publishes.
    if (key.length === 1 && key.toLowerCase() !== key.toUpperCase()) {
      key = evt.shiftKey ? key.toUpperCase() : key.toLowerCase();
    }
    switch (key) {
      case "?": openShortcuts(); done = true; break;
      case "j": done = clickIf("review-next"); break;
      case "k": done = clickIf("review-prev"); break;
      case "p": done = clickIf("open-publish") || clickIf("tab-publish"); break;
      case "P": done = clickIf("publish-now"); break; // Shift+P only, never Caps Lock and p
      case "a": done = clickIf("tab-artwork"); break;
      case "o": done = clickIf("tab-overview"); break;
      case "/": done = searchLibrary(); break;
    }
    if (done) evt.preventDefault();
  });
  // "/" searches the library: its search box where there is one, else the library with the box
  // focused ("#q" in the address; an item page or the activity has no search box of its own).
  function searchLibrary() {
    var q = document.getElementById("q");
    if (q) { q.focus(); q.select(); return true; }
    var library = document.querySelector("a.brand[href]");
    if (!library) return false;
    window.location.assign(library.getAttribute("href") + "#q");
    return true;
  }
  document.addEventListener("DOMContentLoaded", function () {
    var q = document.getElementById("q");
    if (window.location.hash !== "#q" || !q) return;
    history.replaceState(history.state, "", window.location.pathname + window.location.search);
    q.focus();
  });

  // The server could not be reached at all (daemon restarting, network gone).
  document.addEventListener("htmx:sendError", function () {
    var area = document.getElementById("toast");
    if (!area) return;
    area.innerHTML = "";
    var div = document.createElement("div");
    div.className = "toast tone-danger";
    div.textContent = "Cannot reach metarrd. Is the web service running?";
    area.appendChild(div);
    fadeToasts();
  });
})();
