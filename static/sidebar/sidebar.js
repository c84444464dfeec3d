/*
 * The chat sidebar page. In WeCom it drives WeCom's JS-SDK (`wx`); in a plain browser
 * against the sandbox it loads ww-shim.js, which provides the same `wx` backed by the
 * sandbox. Either way: sign the page (wx.config + wx.agentConfig), ask WeCom which
 * contact the chat is with, load that contact's card with htmx, and send scripts and
 * links and content items into the chat with sendChatMessage.
 */
(function () {
  "use strict";

  const data = document.body.dataset;
  const statusBox = document.getElementById("sidebar-status");
  let currentContact = null;

  function say(text) {
    statusBox.textContent = text || "";
  }

  function loadScript(src) {
    return new Promise(function (resolve, reject) {
      const script = document.createElement("script");
      script.src = src;
      script.onload = resolve;
      script.onerror = function () {
        reject(new Error("cannot load " + src));
      };
      document.head.appendChild(script);
    });
  }

  /* The real SDK inside WeCom, the shim outside it when a sandbox is configured. */
  function loadSdk() {
    const inWeCom = /wxwork/i.test(navigator.userAgent);
    if (inWeCom) {
      if (window.wx) return Promise.resolve();
      if (data.jssdkSrc) return loadScript(data.jssdkSrc);
      return Promise.reject(new Error(data.msgSdkFailed));
    }
    if (data.sandboxUrl) return loadScript(data.shimSrc);
    return Promise.reject(new Error(data.msgOutsideWecom));
  }

  async function configure() {
    const pageUrl = window.location.href.split("#")[0];
    const response = await fetch(data.jssdkConfigUrl + "?url=" + encodeURIComponent(pageUrl), {
      credentials: "same-origin",
      headers: { Accept: "application/json" },
    });
    if (response.status === 401) {
      window.location.reload();
      throw new Error("signed out");
    }
    if (!response.ok) throw new Error(data.msgSdkFailed);
    const signed = await response.json();
    await new Promise(function (resolve, reject) {
      window.wx.config(signed.config);
      window.wx.ready(resolve);
      window.wx.error(function () {
        reject(new Error(data.msgSdkFailed));
      });
    });
    await new Promise(function (resolve, reject) {
      window.wx.agentConfig(
        Object.assign({}, signed.agentConfig, {
          success: resolve,
          fail: function () {
            reject(new Error(data.msgSdkFailed));
          },
        })
      );
    });
  }

  function invoke(name, args) {
    return new Promise(function (resolve) {
      window.wx.invoke(name, args || {}, resolve);
    });
  }

  function succeeded(result, name) {
    return Boolean(result) && result.err_msg === name + ":ok";
  }

  async function showCurrentContact() {
    const result = await invoke("getCurExternalContact");
    if (!succeeded(result, "getCurExternalContact") || !result.userId) {
      say(data.msgNoContact);
      return;
    }
    currentContact = result.userId;
    say("");
    window.htmx.ajax("GET", data.contactUrl.replace("__ID__", encodeURIComponent(currentContact)), {
      target: "#contact-card",
      swap: "innerHTML",
    });
  }

  async function sendToChat(message) {
    const result = await invoke("sendChatMessage", Object.assign({ enterChat: true }, message));
    say(succeeded(result, "sendChatMessage") ? data.msgSent : data.msgSendFailed);
    return result;
  }

  function scriptMessage(button) {
    const script = button.dataset;
    if (script.kind === "link") {
      return {
        msgtype: "news",
        news: { link: script.link, title: script.title, desc: script.content, imgUrl: "" },
      };
    }
    return { msgtype: "text", text: { content: script.content } };
  }

  async function sendVerificationLink() {
    const url = data.verificationUrl.replace("__ID__", encodeURIComponent(currentContact));
    const response = await fetch(url, { credentials: "same-origin", headers: { Accept: "application/json" } });
    const body = await response.json();
    if (!response.ok) {
      say(body.message || data.msgSendFailed);
      return;
    }
    await sendToChat({
      msgtype: "news",
      news: { link: body.url, title: body.title, desc: body.description, imgUrl: "" },
    });
  }

  /* A content item: the server answers the message with a media_id WeCom still keeps
     (uploading the file if needed); the send is counted once the chat has taken it. */
  async function sendContent(button) {
    const post = {
      method: "POST",
      credentials: "same-origin",
      headers: { "X-CSRFToken": data.csrfToken, Accept: "application/json" },
    };
    button.disabled = true;
    try {
      const response = await fetch(button.dataset.messageUrl, post);
      if (response.status === 401) {
        window.location.reload();
        return;
      }
      const message = await response.json();
      if (!response.ok) {
        say(message.message || data.msgSendFailed);
        return;
      }
      const result = await sendToChat(message);
      if (succeeded(result, "sendChatMessage")) await fetch(button.dataset.sentUrl, post);
    } catch (error) {
      say(data.msgSendFailed);
    } finally {
      button.disabled = false;
    }
  }

  document.addEventListener("click", function (event) {
    const contentButton = event.target.closest("[data-send-content]");
    if (contentButton) {
      sendContent(contentButton);
      return;
    }
    const scriptButton = event.target.closest("[data-send-script]");
    if (scriptButton) {
      sendToChat(scriptMessage(scriptButton));
      return;
    }
    if (event.target.closest("[data-send-verification]") && currentContact) {
      sendVerificationLink();
      return;
    }
    const tab = event.target.closest("[data-tab]");
    if (tab) {
      document.querySelectorAll("[data-tab]").forEach(function (other) {
        const active = other === tab;
        other.classList.toggle("active", active);
        other.setAttribute("aria-selected", String(active));
        document.getElementById(other.dataset.tab).hidden = !active;
      });
    }
  });

  /* A refused tag or note comes back as the card with its reason (400): show it. */
  document.body.addEventListener("htmx:beforeSwap", function (event) {
    if (event.detail.xhr.status === 400) {
      event.detail.shouldSwap = true;
      event.detail.isError = false;
    }
  });

  /* A session that ended mid-chat: the server asks for a reload, which signs in again. */
  document.body.addEventListener("htmx:responseError", function (event) {
    if (event.detail.xhr.status === 401) window.location.reload();
  });

  async function boot() {
    try {
      await loadSdk();
      await configure();
      const context = await invoke("getContext");
      if (succeeded(context, "getContext") && context.entry && context.entry !== "single_chat_tools") {
        say(data.msgNoContact);
        return;
      }
      await showCurrentContact();
    } catch (error) {
      say(error.message);
    }
  }

  boot();
})();
