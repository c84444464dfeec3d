/*
 * A stand-in for WeCom's JS-SDK outside WeCom (a plain browser, the demo, the tests),
 * backed by the WeCom sandbox's control API. It is loaded only when the page is not in
 * WeCom's browser and a sandbox is configured (data-sandbox-url on <body>).
 *
 *   wx.config / wx.agentConfig / wx.ready / wx.error / wx.invoke   (jweixin's shape)
 *   ww.getContext / ww.getCurExternalContact / ww.sendChatMessage  (@wecom/jssdk's shape)
 *
 *   getCurExternalContact → GET  {sandbox}/sandbox/jssdk/current_external_contact?userid=
 *   sendChatMessage       → POST {sandbox}/sandbox/jssdk/send_chat_message
 *   getContext            → {entry: "single_chat_tools"}
 *
 * It also plays WeCom's OAuth step on the sandbox sign-in page: the sandbox issues a code
 * for the chosen member, and the browser goes on to /sidebar/auth/ as WeCom would send it.
 */
(function () {
  "use strict";

  const data = document.body.dataset;
  const sandbox = (data.sandboxUrl || "").replace(/\/+$/, "");
  const userid = data.wecomUserid || "";

  async function call(method, path, body) {
    const response = await fetch(sandbox + path, {
      method: method,
      headers: body ? { "Content-Type": "application/json" } : {},
      body: body ? JSON.stringify(body) : undefined,
    });
    const answer = await response.json().catch(function () {
      return {};
    });
    if (!response.ok || (answer.errcode && answer.errcode !== 0)) {
      throw new Error(answer.error || answer.errmsg || "sandbox answered " + response.status);
    }
    return answer;
  }

  const handlers = {
    getContext: async function () {
      return { entry: "single_chat_tools", shareTicket: "" };
    },
    getCurExternalContact: async function () {
      const answer = await call("GET", "/sandbox/jssdk/current_external_contact?userid=" + encodeURIComponent(userid));
      const external = answer.external_userid || answer.userId || "";
      if (!external) throw new Error("no chat is open");
      return { userId: external };
    },
    sendChatMessage: async function (args) {
      await call("POST", "/sandbox/jssdk/send_chat_message", Object.assign({ userid: userid }, args));
      return {};
    },
  };

  /* WeCom's own checks on wx.config / wx.agentConfig: the fields a signature needs. */
  function missing(config, fields) {
    return fields.filter(function (field) {
      return config[field] === undefined || config[field] === "";
    });
  }

  let state = "pending";
  let readyQueue = [];
  let errorQueue = [];

  function settle(newState, detail) {
    state = newState;
    const queue = newState === "ready" ? readyQueue : errorQueue;
    readyQueue = [];
    errorQueue = [];
    queue.forEach(function (callback) {
      setTimeout(function () {
        callback(detail);
      }, 0);
    });
  }

  function invoke(name, args, callback) {
    const done = typeof callback === "function" ? callback : function () {};
    const handler = handlers[name];
    if (!handler) {
      setTimeout(function () {
        done({ err_msg: name + ":fail not supported by the sandbox shim" });
      }, 0);
      return;
    }
    handler(args || {}).then(
      function (result) {
        done(Object.assign({ err_msg: name + ":ok" }, result));
      },
      function (error) {
        done({ err_msg: name + ":fail " + error.message });
      }
    );
  }

  window.wx = window.jWeixin = {
    sandboxShim: true,
    config: function (config) {
      const gaps = missing(config || {}, ["appId", "timestamp", "nonceStr", "signature"]);
      setTimeout(function () {
        if (gaps.length) settle("error", { errMsg: "config:fail missing " + gaps.join(",") });
        else settle("ready");
      }, 0);
    },
    ready: function (callback) {
      if (state === "ready") setTimeout(callback, 0);
      else readyQueue.push(callback);
    },
    error: function (callback) {
      if (state === "error") setTimeout(callback, 0);
      else errorQueue.push(callback);
    },
    agentConfig: function (config) {
      const gaps = missing(config || {}, ["corpid", "agentid", "timestamp", "nonceStr", "signature"]);
      setTimeout(function () {
        if (gaps.length) {
          if (config && config.fail) config.fail({ err_msg: "agentConfig:fail missing " + gaps.join(",") });
        } else if (config.success) {
          config.success({ err_msg: "agentConfig:ok" });
        }
      }, 0);
    },
    invoke: invoke,
  };

  function promised(name) {
    return function (args) {
      return new Promise(function (resolve, reject) {
        invoke(name, args, function (result) {
          (result.err_msg === name + ":ok" ? resolve : reject)(result);
        });
      });
    };
  }

  window.ww = {
    sandboxShim: true,
    getContext: promised("getContext"),
    getCurExternalContact: promised("getCurExternalContact"),
    sendChatMessage: promised("sendChatMessage"),
  };

  /* The sandbox sign-in page: a code from the sandbox, then the production callback URL. */
  const signIn = document.getElementById("sandbox-sign-in");
  if (signIn) {
    signIn.addEventListener("submit", async function (event) {
      event.preventDefault();
      const form = new FormData(signIn);
      const member = String(form.get("userid") || "").trim();
      const errorBox = document.getElementById("sandbox-sign-in-error");
      try {
        const answer = await call("POST", "/sandbox/simulate/oauth_code", { userid: member });
        const query = new URLSearchParams({ code: answer.code, state: signIn.dataset.state });
        window.location.assign(signIn.dataset.authUrl + "?" + query.toString());
      } catch (error) {
        errorBox.textContent = error.message;
      }
    });
  }
})();
