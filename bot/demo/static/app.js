// The Linli demo page: a small messenger on top of the local Bot API emulator.
//
// Safety: every text that comes from the server (what people wrote, what the bot sent)
// is put into the page as text nodes. The bot's Telegram HTML arrives already parsed by
// the emulator into plain text plus entities (bold, links, ...); only those entities are
// turned into elements here, so no server text is ever parsed as HTML.
"use strict";

(() => {
  const STRINGS = {
    zh: {
      actingAs: "你现在是",
      everyone: "更多邻居…",
      moreRoles: { admin: "社区管理员", owner: "负责人", volunteer: "志愿者", resident: "居民" },
      roles: { admin: "社区管理员", owner: "负责人", volunteer: "志愿者", resident: "居民" },
      tour: "导览",
      chats: "聊天",
      offline: "一切都在你的电脑上运行：本地的 Telegram Bot API 模拟器和真正的 Linli 机器人。消息不会离开这台机器。",
      loading: "正在布置示例社区……",
      privateChat: "与 Linli 的私聊",
      bot: "机器人",
      members: (n) => `${n} 位成员`,
      botSubtitle: "机器人 · 私聊",
      placeholder: "输入消息或命令，例如 /help",
      placeholderGroup: (title) => `在「${title}」里发言…`,
      send: "发送",
      attachPhoto: "发送图片（输入框里的文字作为说明）",
      back: "返回聊天列表",
      commands: "命令菜单",
      cancelReply: "取消回复",
      close: "关闭",
      reply: "回复",
      replyingTo: (name) => `回复 ${name}`,
      edited: "已编辑",
      pinned: "已置顶",
      photo: "图片",
      document: "文件",
      joined: (name) => `${name} 加入了群聊`,
      added: (who, names) => `${who} 邀请 ${names} 加入了群聊`,
      left: (name) => `${name} 离开了群聊`,
      migrated: "本群已升级为超级群",
      empty: "还没有消息。发一条试试吧！",
      noAnswer: "已点击",
      sendFailed: "发送失败：",
      pressFailed: "按钮无效：",
      youAre: "你",
      skills: "技能",
      tourTitle: "七步看懂邻里",
      tourIntro: "左上角切换身份，就像同一个楼里的不同邻居。每一步都可以点「带我去」。",
      go: "带我去",
      soon: "功能开发中",
      moreTitle: "还可以试试",
      missing: (list) => `示例数据里暂未包含：${list}。`,
      chooseChat: "选择一个聊天",
      you: "你",
      listSeparator: "、",
    },
    en: {
      actingAs: "You are",
      everyone: "More people…",
      moreRoles: { admin: "Community admin", owner: "Owner", volunteer: "Volunteers", resident: "Residents" },
      roles: { admin: "Community admin", owner: "Owner", volunteer: "Volunteer", resident: "Resident" },
      tour: "Tour",
      chats: "Chats",
      offline: "Everything runs on your computer: a local copy of Telegram's Bot API and the real Linli bot. No message leaves this machine.",
      loading: "Setting up the sample community…",
      privateChat: "Linli (private chat)",
      bot: "bot",
      members: (n) => `${n} members`,
      botSubtitle: "bot · private chat",
      placeholder: "Write a message or a command, e.g. /help",
      placeholderGroup: (title) => `Message ${title}…`,
      send: "Send",
      attachPhoto: "Send a photo (the text in the box becomes its caption)",
      back: "Back to the chats",
      commands: "Commands",
      cancelReply: "Cancel the reply",
      close: "Close",
      reply: "Reply",
      replyingTo: (name) => `Replying to ${name}`,
      edited: "edited",
      pinned: "pinned",
      photo: "Photo",
      document: "File",
      joined: (name) => `${name} joined the group`,
      added: (who, names) => `${who} added ${names}`,
      left: (name) => `${name} left the group`,
      migrated: "The group was upgraded to a supergroup",
      empty: "No messages yet. Say something!",
      noAnswer: "Pressed",
      sendFailed: "Could not send: ",
      pressFailed: "The button did not work: ",
      youAre: "you",
      skills: "skills",
      tourTitle: "Linli in seven steps",
      tourIntro: "Switch who you are at the top, like different neighbours of one building. Each step has a “Take me there” button.",
      go: "Take me there",
      soon: "coming soon",
      moreTitle: "More to try",
      missing: (list) => `Not in the sample data yet: ${list}.`,
      chooseChat: "Choose a chat",
      you: "You",
      listSeparator: ", ",
    },
  };

  // The guided tour. {name} fields are filled with the demo people's names.
  const TOUR = [
    {
      command: "request", person: "zhangwei", chat: "b3",
      text: {
        zh: "以居民 {zhangwei} 的身份，在 {b3} 群里求助：发送 /request 和你的问题。",
        en: "As resident {zhangwei}, ask for help in the {b3} group: send /request and what you need.",
      },
      fill: { zh: "/request 厨房水龙头一直在漏水，能帮忙看看吗？", en: "/request repair the kitchen tap keeps leaking, could someone take a look?" },
    },
    {
      command: "request", person: "liming", chat: "private",
      text: {
        zh: "切换到值班志愿者 {liming}：他的私聊里收到了求助卡片。点「🙋 接单」。",
        en: "Switch to {liming}, the volunteer on duty: the request card is in his private chat. Press 🙋 Claim.",
      },
    },
    {
      command: "request", person: "zhangwei", chat: "private",
      text: {
        zh: "切回 {zhangwei}：Linli 私下告诉他谁来帮忙。完成后还能给帮助打分。",
        en: "Back to {zhangwei}: Linli tells him in private who is coming. When it is done he can rate the help.",
      },
    },
    {
      command: "request", person: "zhangwei", chat: "private",
      text: {
        zh: "有图更清楚：{zhangwei} 在私聊里点 📷，发一张漏水的照片（输入框里的文字会作为说明）。Linli 问这是「🆕 新的求助」还是补充到 #1；点「🆕 新的求助」，再点「✅ 发给志愿者」。切换到 {liming}，求助卡片后面就是这张照片。",
        en: "A photo says more: in his private chat, {zhangwei} presses 📷 and sends a photo of the leak (the text in the box becomes its caption). Linli asks whether it is «🆕 A new request» or belongs to #1; press «🆕 A new request», then «✅ Ask the volunteers». Switch to {liming}: the photo follows the request card.",
      },
      fill: { zh: "卫生间水管接口在滴水，照片如下", en: "the bathroom pipe joint is dripping, see the photo" },
    },
    {
      command: "notice", person: "wangfang", chat: "b3",
      text: {
        zh: "以负责人 {wangfang} 的身份发通知，再切换到任意居民点「收到」，看确认人数实时变化。",
        en: "As the owner {wangfang}, post a notice; then switch to any resident and press Got it, and watch the count go up.",
      },
      fill: { zh: "/notice 本周六 9:00–12:00 停水检修，请提前储水。", en: "/notice The water is off on Saturday 9:00–12:00 for repairs. Please store some water." },
    },
    {
      command: "notice", person: "zhangwei", chat: "b3",
      text: {
        zh: "在群里大家习惯回复「收到」：以居民 {zhangwei} 的身份回复这条通知，写「收到」，确认人数同样会加一。",
        en: "In the group people are used to replying “got it”: as resident {zhangwei}, reply to the notice with “got it”, and the count goes up just the same.",
      },
      fill: { zh: "收到", en: "got it" },
    },
    {
      command: "lockup", person: "liming", chat: "private",
      text: {
        zh: "晚上，志愿者 {liming} 关好自习室，在私聊里发送 /lockup，逐项勾选清单，报告会发到 {b3} 群里。",
        en: "In the evening, volunteer {liming} closes the study room: /lockup in private, tick the checklist, and the report goes to the {b3} group.",
      },
      fill: { zh: "/lockup", en: "/lockup" },
    },
  ];
  const MORE = {
    zh: "/duty 谁在值班 · /myrequests 我的求助 · /events 近期活动 · /points 积分 · /rewards 兑换奖品 · /help 全部命令",
    en: "/duty who is on duty · /myrequests your requests · /events coming events · /points your points · /rewards rewards · /help every command",
  };

  const ROLE_ORDER = ["admin", "owner", "volunteer", "resident"];
  const AVATAR_COLORS = ["#e17076", "#7bc862", "#e5a64e", "#65aadd", "#a695e7", "#ee7aae", "#6ec9cb", "#faa774"];
  const COMMAND_IN_TEXT = /(^|[^\w/@.])(\/[a-z][a-z0-9_]{0,31})(?![\w/])/gi;

  const state = {
    community: null,
    lang: "zh",
    personaId: null,
    chatId: null,
    timelines: new Map(), // chat id -> entries
    stale: new Set(), // chats changed while nobody looked
    seen: new Map(), // "persona:chat" -> newest message id seen
    baseline: new Map(), // chat id -> newest message id when the page opened
    refreshing: new Set(), // chats being fetched
    again: new Set(), // chats that changed while being fetched
    replyTo: null,
    pressed: new Map(), // callback query id -> the button element
    answers: new Map(), // callback query id -> an answer that came before the press returned
  };

  const $ = (id) => document.getElementById(id);
  const t = (key, ...args) => {
    const value = STRINGS[state.lang][key];
    return typeof value === "function" ? value(...args) : value;
  };

  /** Build an element; children are nodes or strings (strings become text nodes). */
  function el(tag, attributes = {}, ...children) {
    const node = document.createElement(tag);
    for (const [key, value] of Object.entries(attributes)) {
      if (value == null || value === false) continue;
      if (key === "class") node.className = value;
      else if (key === "dataset") Object.assign(node.dataset, value);
      else if (key.startsWith("on")) node.addEventListener(key.slice(2), value);
      else node.setAttribute(key, value === true ? "" : String(value));
    }
    for (const child of children.flat()) {
      if (child == null || child === false) continue;
      node.append(child instanceof Node ? child : String(child));
    }
    return node;
  }

  // --- the server -------------------------------------------------------------------------

  async function api(path, body) {
    const options = body === undefined ? {} : {
      method: "POST",
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify(body),
    };
    const response = await fetch(path, options);
    const payload = await response.json().catch(() => ({}));
    if (!response.ok) throw new Error(payload.error || response.statusText);
    return payload;
  }

  async function loadTimeline(chatId) {
    const entries = await api(`/_emu/timeline?chat_id=${encodeURIComponent(chatId)}`);
    state.timelines.set(chatId, entries);
    state.stale.delete(chatId);
    return entries;
  }

  /** Fetch a chat again and redraw; a change that comes during the fetch fetches once more. */
  async function refreshChat(chatId) {
    if (state.refreshing.has(chatId)) { state.again.add(chatId); return; }
    state.refreshing.add(chatId);
    try {
      do {
        state.again.delete(chatId);
        await loadTimeline(chatId);
      } while (state.again.has(chatId));
    } catch (error) {
      state.stale.add(chatId);
    } finally {
      state.refreshing.delete(chatId);
    }
    if (chatId === state.chatId) renderMessages();
    renderChatList();
  }

  function listen() {
    const events = new EventSource("/_emu/events");
    events.addEventListener("hello", () => {
      for (const chatId of state.timelines.keys()) state.stale.add(chatId);
      for (const chat of personaChats()) refreshChat(chat.id);
    });
    events.addEventListener("chat", (event) => {
      const { chat_id: chatId } = JSON.parse(event.data);
      if (personaChats().some((chat) => chat.id === chatId)) refreshChat(chatId);
      else state.stale.add(chatId);
    });
    events.addEventListener("answer", (event) => {
      const answer = JSON.parse(event.data);
      if (state.pressed.has(answer.callback_query_id)) showAnswer(answer);
      else state.answers.set(answer.callback_query_id, answer);
    });
  }

  // --- people and chats -------------------------------------------------------------------

  const people = () => state.community.people;
  const persona = () => people().find((someone) => someone.user_id === state.personaId);
  const byUsername = (username) => people().find((someone) => someone.username === username);
  const groupByKey = (key) => state.community.groups.find((group) => group.key === key);

  function personaChats() {
    const me = persona();
    if (!me) return [];
    const chats = [{ id: me.user_id, private: true, title: "Linli 邻里", subtitle: t("botSubtitle") }];
    for (const group of state.community.groups) {
      if (!me.groups.includes(group.chat_id)) continue;
      chats.push({ id: group.chat_id, private: false, title: group.title, building: group.building });
    }
    return chats;
  }

  function nameOf(user) {
    if (!user) return "";
    const known = people().find((someone) => someone.user_id === user.id);
    if (known) return known.name;
    if (user.id === state.community.bot.id) return "Linli";
    return [user.first_name, user.last_name].filter(Boolean).join(" ");
  }

  /** A steady colour for a person (an FNV-1a hash of the id spreads neighbouring ids). */
  function colorOf(userId) {
    let hash = 2166136261;
    for (const char of String(userId)) hash = Math.imul(hash ^ char.charCodeAt(0), 16777619);
    return AVATAR_COLORS[(hash >>> 0) % AVATAR_COLORS.length];
  }

  function avatar(label, colorKey, extraClass = "") {
    const color = colorOf(colorKey);
    return el("span", { class: `avatar ${extraClass}`, style: `--avatar: ${color}`, "aria-hidden": "true" },
      Array.from(label)[0] || "?");
  }

  const seenKey = (chatId) => `${state.personaId}:${chatId}`;
  const newestId = (entries) => (entries.length ? entries[entries.length - 1].message_id : 0);

  function unread(chatId) {
    const entries = state.timelines.get(chatId) || [];
    const seen = state.seen.get(seenKey(chatId)) ?? state.baseline.get(chatId) ?? 0;
    return entries.filter((entry) => entry.message_id > seen && entry.from.id !== state.personaId
      && entry.kind !== "service").length;
  }

  function markSeen(chatId) {
    state.seen.set(seenKey(chatId), newestId(state.timelines.get(chatId) || []));
  }

  // --- persona switcher -------------------------------------------------------------------

  function renderPersonas() {
    const chips = $("persona-chips");
    const featured = people().filter((someone) => someone.featured)
      .sort((a, b) => ROLE_ORDER.indexOf(b.role) - ROLE_ORDER.indexOf(a.role));
    const current = persona();
    if (current && !current.featured) featured.push(current);
    chips.replaceChildren(...featured.map((someone) => el("button", {
      type: "button",
      class: `persona-chip role-${someone.role}${someone.user_id === state.personaId ? " active" : ""}`,
      "aria-pressed": someone.user_id === state.personaId ? "true" : "false",
      "data-testid": `persona-${someone.username}`,
      onclick: () => switchPersona(someone.user_id),
    }, avatar(someone.name, someone.user_id), el("span", { class: "chip-text" },
      el("b", {}, someone.name), el("small", {}, t("roles")[someone.role])))));

    chips.querySelector(".active")?.scrollIntoView({ block: "nearest", inline: "nearest" });

    const select = $("persona-select");
    const groups = ROLE_ORDER.map((role) => el("optgroup", { label: t("moreRoles")[role] },
      people().filter((someone) => someone.role === role).map((someone) => el("option", {
        value: someone.user_id,
      }, someone.about ? `${someone.name} · ${someone.about}` : someone.name))));
    select.replaceChildren(el("option", { value: "", disabled: true }, t("everyone")), ...groups);
    select.value = "";
  }

  function renderMe() {
    const me = persona();
    const details = [me.about, me.skills.length ? `${t("skills")}: ${me.skills.join(", ")}` : ""]
      .filter(Boolean).join(" · ");
    $("me").replaceChildren(
      avatar(me.name, me.user_id, "large"),
      el("div", { class: "me-text" },
        el("div", {}, el("b", {}, me.name), " ",
          el("span", { class: `role-badge role-${me.role}` }, t("roles")[me.role])),
        el("small", {}, `@${me.username}`),
        details ? el("p", {}, details) : null));
  }

  async function switchPersona(userId, chatKey) {
    state.personaId = Number(userId);
    state.replyTo = null;
    $("toast").hidden = true; // an answer to the previous person's press is not for this one
    const chats = personaChats();
    let target = chats.find((chat) => chat.id === state.chatId) || chats[1] || chats[0];
    if (chatKey === "private") target = chats[0];
    else if (chatKey) target = chats.find((chat) => chat.id === groupByKey(chatKey)?.chat_id) || target;
    renderPersonas();
    renderMe();
    await Promise.all(chats.filter((chat) => !state.timelines.has(chat.id) || state.stale.has(chat.id))
      .map((chat) => loadTimeline(chat.id).catch(() => null)));
    openChat(target.id);
  }

  // --- chat list --------------------------------------------------------------------------

  function renderChatList() {
    const items = personaChats().map((chat) => {
      const entries = state.timelines.get(chat.id) || [];
      const last = entries[entries.length - 1];
      const count = chat.id === state.chatId ? 0 : unread(chat.id);
      const preview = last ? previewOf(last, !chat.private) : "";
      return el("li", {},
        el("button", {
          type: "button",
          class: `chat-item${chat.id === state.chatId ? " active" : ""}`,
          "data-testid": chat.private ? "chat-private" : `chat-${chat.id}`,
          "aria-current": chat.id === state.chatId ? "true" : null,
          onclick: () => openChat(chat.id),
        },
        chat.private ? el("span", { class: "avatar bot-avatar", "aria-hidden": "true" }, "邻")
          : el("span", { class: "avatar group-avatar", "aria-hidden": "true" }, buildingMark(chat.building)),
        el("span", { class: "chat-item-text" },
          el("span", { class: "chat-item-top" },
            el("b", {}, chat.private ? t("privateChat") : chat.title),
            last ? el("time", {}, clock(last.date)) : null),
          el("span", { class: "chat-item-bottom" },
            el("span", { class: "preview" }, preview),
            count ? el("span", { class: "badge", "aria-label": `${count}` }, String(count)) : null))));
    });
    $("chat-list").replaceChildren(...items);
  }

  function buildingMark(name) {
    const digits = (name || "").match(/\d+/);
    return digits ? digits[0] : Array.from(name || "?")[0];
  }

  function previewOf(entry, withName) {
    if (entry.kind === "service") return serviceText(entry);
    const body = entry.text || (entry.kind === "photo" ? `[${t("photo")}]` : `[${t("document")}]`);
    const who = entry.from.id === state.personaId ? t("you") : nameOf(entry.from);
    return withName || entry.from.id === state.personaId ? `${who}: ${body}` : body;
  }

  // --- conversation -----------------------------------------------------------------------

  function openChat(chatId) {
    const chat = personaChats().find((item) => item.id === chatId);
    if (!chat) return;
    if (state.chatId !== chatId) state.replyTo = null;
    state.chatId = chatId;
    document.body.classList.add("show-conversation");
    $("chat-title").textContent = chat.private ? "Linli 邻里" : chat.title;
    const group = state.community.groups.find((item) => item.chat_id === chatId);
    const members = people().filter((someone) => someone.groups.includes(chatId)).length + 1;
    $("chat-subtitle").textContent = chat.private ? t("botSubtitle") : `${group.building} · ${t("members", members)}`;
    const headerAvatar = $("chat-avatar");
    headerAvatar.className = `avatar ${chat.private ? "bot-avatar" : "group-avatar"}`;
    headerAvatar.textContent = chat.private ? "邻" : buildingMark(chat.building);
    $("input").placeholder = chat.private ? t("placeholder") : t("placeholderGroup", chat.title);
    history.replaceState(null, "", `#p=${state.personaId}&c=${chatId}`);
    renderReplying();
    hideCommandMenu();
    renderMessages(true);
    renderChatList();
    if (state.stale.has(chatId) || !state.timelines.has(chatId)) refreshChat(chatId);
  }

  function renderMessages(jump = false) {
    const box = $("messages");
    const nearBottom = box.scrollHeight - box.scrollTop - box.clientHeight < 80;
    const entries = state.timelines.get(state.chatId) || [];
    const byId = new Map(entries.map((entry) => [entry.message_id, entry]));
    const isGroup = state.chatId < 0;
    const nodes = entries.map((entry, index) => {
      const previous = entries[index - 1];
      const grouped = previous && previous.kind !== "service" && previous.from.id === entry.from.id
        && entry.date - previous.date < 300;
      return entry.kind === "service" ? serviceNode(entry) : messageNode(entry, byId, isGroup, grouped);
    });
    if (!nodes.length) nodes.push(el("p", { class: "empty" }, t("empty")));
    box.replaceChildren(...nodes);
    if (jump || nearBottom) box.scrollTop = box.scrollHeight;
    markSeen(state.chatId);
  }

  function serviceText(entry) {
    const service = entry.service || {};
    const names = (service.users || []).map(nameOf).join(t("listSeparator"));
    if (service.type === "left") return t("left", names);
    if (service.type === "migrated") return t("migrated");
    const selfJoin = (service.users || []).every((user) => user.id === entry.from.id);
    return selfJoin ? t("joined", names) : t("added", nameOf(entry.from), names);
  }

  function serviceNode(entry) {
    return el("div", { class: "service", "data-message-id": entry.message_id },
      el("span", {}, serviceText(entry)));
  }

  function messageNode(entry, byId, isGroup, grouped) {
    const mine = entry.from.id === state.personaId;
    const fromBot = entry.from.is_bot;
    const showName = isGroup && !mine && !grouped;
    const quoted = entry.reply_to_message_id ? byId.get(entry.reply_to_message_id) : null;
    const bubble = el("div", { class: "bubble" },
      showName ? el("div", { class: "sender", style: `color: ${fromBot ? "var(--brand)" : colorOf(entry.from.id)}` },
        nameOf(entry.from), fromBot ? el("span", { class: "bot-tag" }, t("bot")) : null) : null,
      quoted ? quoteNode(quoted) : null,
      mediaNode(entry),
      entry.text ? el("div", { class: "text" }, renderText(entry.text, entry.entities || [])) : null,
      el("div", { class: "meta" },
        entry.pinned ? el("span", { class: "pin" }, t("pinned")) : null,
        entry.edits ? el("span", {}, t("edited")) : null,
        el("time", {}, clock(entry.date))));
    const row = el("div", {
      class: `message ${mine ? "mine" : "theirs"}${fromBot ? " from-bot" : ""}${grouped ? " grouped" : ""}`,
      "data-message-id": entry.message_id,
      "data-from": entry.from.id,
    },
    isGroup && !mine ? (grouped ? el("span", { class: "avatar-spacer" })
      : fromBot ? el("span", { class: "avatar bot-avatar small", "aria-hidden": "true" }, "邻")
        : avatar(nameOf(entry.from), entry.from.id, "small")) : null,
    el("div", { class: "message-body" },
      bubble,
      entry.buttons && entry.buttons.length ? keyboardNode(entry) : null),
    el("button", {
      type: "button", class: "reply-action", title: t("reply"), "aria-label": t("reply"),
      onclick: () => startReply(entry),
    }, el("span", { "aria-hidden": "true" }, "↩")));
    return row;
  }

  function quoteNode(quoted) {
    return el("div", { class: "quote" },
      el("b", {}, nameOf(quoted.from)),
      el("span", {}, (quoted.text || previewOf(quoted, false)).slice(0, 90)));
  }

  function mediaNode(entry) {
    if (entry.kind === "photo" && entry.file_id) {
      return el("img", { class: "photo", src: `/_emu/files/${encodeURIComponent(entry.file_id)}`, alt: t("photo"), loading: "lazy" });
    }
    if (entry.kind === "photo") return el("div", { class: "attachment" }, `[${t("photo")}]`);
    if (entry.kind === "document") {
      const name = entry.file_name || t("document");
      return el("a", { class: "attachment", href: entry.file_id ? `/_emu/files/${encodeURIComponent(entry.file_id)}` : null, download: name }, name);
    }
    return null;
  }

  function keyboardNode(entry) {
    return el("div", { class: "keyboard" }, entry.buttons.map((row) => el("div", { class: "keyboard-row" },
      row.map((button) => {
        if (button.url) {
          const safe = /^https?:\/\//i.test(button.url);
          return el(safe ? "a" : "span", {
            class: "key", href: safe ? button.url : null, target: "_blank", rel: "noopener noreferrer",
          }, button.text, el("span", { class: "key-link", "aria-hidden": "true" }, "↗"));
        }
        return el("button", {
          type: "button",
          class: "key",
          "data-callback": button.callback_data || "",
          onclick: (event) => press(entry, button, event.currentTarget),
        }, button.text);
      }))));
  }

  // --- Telegram's formatting ------------------------------------------------------------

  const TAGS = {
    bold: "strong", italic: "em", underline: "u", strikethrough: "s", code: "code",
    blockquote: "blockquote", expandable_blockquote: "blockquote",
  };

  /** The text with its entities as elements; nested entities nest (offsets are UTF-16, like JS). */
  function renderText(text, entities) {
    const sorted = [...entities].filter((entity) => entity.length > 0)
      .sort((a, b) => a.offset - b.offset || b.length - a.length);
    const fragment = document.createDocumentFragment();
    build(fragment, text, 0, text.length, sorted, true);
    return fragment;
  }

  function build(parent, text, start, end, entities, linkify) {
    let position = start;
    let index = 0;
    while (index < entities.length) {
      const entity = entities[index];
      const from = Math.max(entity.offset, position);
      const to = Math.min(entity.offset + entity.length, end);
      let next = index + 1;
      while (next < entities.length && entities[next].offset < to) next += 1;
      if (from >= to) { index = next; continue; }
      appendPlain(parent, text.slice(position, from), linkify);
      const node = entityNode(entity, text.slice(from, to));
      const inner = node.querySelector("code") || node;
      build(inner, text, from, to, entities.slice(index + 1, next), linkify && !isVerbatim(entity));
      parent.append(node);
      position = to;
      index = next;
    }
    appendPlain(parent, text.slice(position, end), linkify);
  }

  const isVerbatim = (entity) => ["code", "pre", "text_link", "url", "bot_command"].includes(entity.type);

  function entityNode(entity, content) {
    if (TAGS[entity.type]) return el(TAGS[entity.type]);
    if (entity.type === "pre") return el("pre", {}, el("code"));
    if (entity.type === "spoiler") {
      return el("span", { class: "spoiler", onclick: (event) => event.currentTarget.classList.add("revealed") });
    }
    if (entity.type === "text_link" || entity.type === "url") {
      const href = entity.type === "url" ? content : entity.url;
      if (/^https?:\/\//i.test(href || "")) return el("a", { href, target: "_blank", rel: "noopener noreferrer" });
      return el("span", { class: "link" });
    }
    if (entity.type === "bot_command") return commandNode(content.split("@")[0]);
    if (entity.type === "mention" || entity.type === "text_mention" || entity.type === "hashtag") {
      return el("span", { class: "mention" });
    }
    return el("span");
  }

  function commandNode(command) {
    return el("span", {
      class: "cmd", role: "button", tabindex: "0",
      onclick: () => fillComposer(`${command} `),
      onkeydown: (event) => { if (event.key === "Enter") fillComposer(`${command} `); },
    });
  }

  /** Plain text, with /commands made clickable (they fill the message box). */
  function appendPlain(parent, text, linkify) {
    if (!text) return;
    if (!linkify) { parent.append(text); return; }
    let last = 0;
    for (const match of text.matchAll(COMMAND_IN_TEXT)) {
      const commandStart = match.index + match[1].length;
      parent.append(text.slice(last, commandStart));
      const node = commandNode(match[2]);
      node.append(match[2]);
      parent.append(node);
      last = commandStart + match[2].length;
    }
    parent.append(text.slice(last));
  }

  function clock(seconds) {
    if (!seconds) return "";
    return new Date(seconds * 1000).toLocaleTimeString(state.lang === "zh" ? "zh-CN" : "en-GB",
      { hour: "2-digit", minute: "2-digit" });
  }

  // --- acting -----------------------------------------------------------------------------

  async function sendMessage(text) {
    const body = { user_id: state.personaId, chat_id: state.chatId, text };
    if (state.replyTo) body.reply_to_message_id = state.replyTo.message_id;
    try {
      await api("/_emu/send", body);
      state.replyTo = null;
      renderReplying();
      refreshChat(state.chatId);
      return true;
    } catch (error) {
      toast(t("sendFailed") + error.message);
      return false;
    }
  }

  /** The chosen pictures as Telegram photos from the current person, the text as the caption. */
  async function sendPhotos(files) {
    if (!files.length || !state.chatId) return;
    const form = new FormData();
    form.append("user_id", String(state.personaId));
    form.append("chat_id", String(state.chatId));
    form.append("caption", $("input").value.trim());
    for (const file of files) form.append("photo", file, file.name);
    const button = $("photo-button");
    button.classList.add("busy");
    try {
      const response = await fetch("/_demo/photo", { method: "POST", body: form });
      const payload = await response.json().catch(() => ({}));
      if (!response.ok) throw new Error(payload.error || response.statusText);
      $("input").value = "";
      autosize();
      refreshChat(state.chatId);
    } catch (error) {
      toast(t("sendFailed") + error.message);
    } finally {
      button.classList.remove("busy");
    }
  }

  async function press(entry, button, node) {
    node.classList.add("busy");
    node.disabled = true;
    try {
      const result = await api("/_emu/press", {
        user_id: state.personaId, chat_id: entry.chat_id, message_id: entry.message_id,
        data: button.callback_data || "",
      });
      const queryId = result.callback_query_id;
      state.pressed.set(queryId, node);
      if (state.answers.has(queryId)) showAnswer(state.answers.get(queryId));
      setTimeout(() => settlePress(queryId), 8000);
    } catch (error) {
      toast(t("pressFailed") + error.message);
      node.classList.remove("busy");
      node.disabled = false;
    }
  }

  function settlePress(queryId) {
    const node = state.pressed.get(queryId);
    if (node) { node.classList.remove("busy"); node.disabled = false; }
    state.pressed.delete(queryId);
    state.answers.delete(queryId);
  }

  function showAnswer(answer) {
    settlePress(answer.callback_query_id);
    if (answer.show_alert && answer.text) showAlert(answer.text);
    else toast(answer.text || t("noAnswer"));
  }

  function startReply(entry) {
    state.replyTo = entry;
    renderReplying();
    $("input").focus();
  }

  function renderReplying() {
    const box = $("replying");
    const entry = state.replyTo;
    box.hidden = !entry;
    if (!entry) return;
    $("replying-name").textContent = t("replyingTo", nameOf(entry.from));
    $("replying-snippet").textContent = (entry.text || previewOf(entry, false)).slice(0, 80);
  }

  function fillComposer(text) {
    const input = $("input");
    input.value = text;
    autosize();
    input.focus();
    input.setSelectionRange(text.length, text.length);
    updateCommandMenu();
  }

  // --- the command menu -----------------------------------------------------------------

  function commandsHere() {
    const commands = state.community.commands || {};
    if (state.chatId > 0) return commands.private || [];
    // Telegram shows a group's admins their own menu (the owner's commands) instead.
    const admin = (persona() || {}).admin_of || [];
    return (admin.includes(state.chatId) ? commands.admins : commands.group) || [];
  }

  function updateCommandMenu(force = false) {
    const value = $("input").value;
    const typing = /^\/[a-z0-9_]*$/i.test(value);
    if (!force && !typing) { hideCommandMenu(); return; }
    const prefix = typing ? value.slice(1).toLowerCase() : "";
    const matches = commandsHere().filter((item) => item.command.startsWith(prefix));
    if (!matches.length) { hideCommandMenu(); return; }
    const menu = $("command-menu");
    menu.replaceChildren(...matches.map((item) => el("button", {
      type: "button", class: "command-option", role: "option",
      onclick: () => { fillComposer(`/${item.command} `); hideCommandMenu(); },
    }, el("b", {}, `/${item.command}`), el("span", {}, item.description))));
    menu.hidden = false;
    $("menu-button").setAttribute("aria-expanded", "true");
  }

  function hideCommandMenu() {
    $("command-menu").hidden = true;
    $("menu-button").setAttribute("aria-expanded", "false");
  }

  // --- small pieces of chrome -----------------------------------------------------------

  let toastTimer = null;
  function toast(text) {
    const box = $("toast");
    box.textContent = text;
    box.hidden = false;
    clearTimeout(toastTimer);
    toastTimer = setTimeout(() => { box.hidden = true; }, 3500);
  }

  function showAlert(text) {
    $("alert-text").textContent = text;
    $("alert").hidden = false;
    $("alert-ok").focus();
  }

  function autosize() {
    const input = $("input");
    input.style.height = "auto";
    input.style.height = `${Math.min(input.scrollHeight, 160)}px`;
  }

  function setTour(open) {
    document.body.classList.toggle("tour-open", open);
    $("tour-toggle").setAttribute("aria-expanded", String(open));
  }

  function renderTour() {
    const features = new Set(state.community.features);
    const names = {};
    for (const someone of people()) names[someone.username] = someone.name;
    for (const group of state.community.groups) names[group.key] = group.building;
    const fill = (text) => text.replace(/\{(\w+)\}/g, (whole, key) => names[key] || whole);
    $("tour-steps").replaceChildren(...TOUR.map((step, index) => {
      const ready = features.has(step.command);
      return el("li", { class: `tour-step${ready ? "" : " unavailable"}` },
        el("span", { class: "step-number", "aria-hidden": "true" }, String(index + 1)),
        el("div", {},
          el("p", {}, appendTourText(fill(step.text[state.lang]))),
          el("div", { class: "step-actions" },
            el("button", {
              type: "button", class: "go", "data-testid": `tour-${index + 1}`,
              onclick: () => takeTourStep(step),
            }, t("go")),
            ready ? null : el("span", { class: "soon" }, t("soon")))));
    }));
    const more = $("tour-more-text");
    more.replaceChildren();
    appendPlain(more, MORE[state.lang], true);
    const missing = state.community.skipped || [];
    $("tour-missing").hidden = !missing.length;
    $("tour-missing").textContent = missing.length
      ? t("missing", missing.map((item) => item.split(":")[0]).join(t("listSeparator"))) : "";
  }

  function appendTourText(text) {
    const fragment = document.createDocumentFragment();
    appendPlain(fragment, text, true);
    return fragment;
  }

  async function takeTourStep(step) {
    const someone = byUsername(step.person);
    if (window.matchMedia("(max-width: 1100px)").matches) setTour(false);
    await switchPersona(someone.user_id, step.chat);
    if (step.fill) fillComposer(step.fill[state.lang]);
  }

  function applyStaticTexts() {
    document.documentElement.lang = state.lang === "zh" ? "zh-CN" : "en";
    for (const node of document.querySelectorAll("[data-text]")) node.textContent = t(node.dataset.text);
    for (const node of document.querySelectorAll("[data-label]")) {
      node.setAttribute("aria-label", t(node.dataset.label));
      node.title = t(node.dataset.label);
    }
    $("community-name").textContent = state.community.community;
  }

  // --- start ------------------------------------------------------------------------------

  function wire() {
    $("composer").addEventListener("submit", async (event) => {
      event.preventDefault();
      const input = $("input");
      const text = input.value.trim();
      if (!text || !state.chatId) return;
      hideCommandMenu();
      if (await sendMessage(text)) { input.value = ""; autosize(); }
    });
    $("input").addEventListener("keydown", (event) => {
      if (event.key === "Enter" && !event.shiftKey && !event.isComposing) {
        event.preventDefault();
        $("composer").requestSubmit();
      } else if (event.key === "Escape") {
        hideCommandMenu();
      }
    });
    $("input").addEventListener("input", () => { autosize(); updateCommandMenu(); });
    $("menu-button").addEventListener("click", () => {
      if ($("command-menu").hidden) updateCommandMenu(true); else hideCommandMenu();
    });
    $("photo-input").addEventListener("change", async (event) => {
      const files = [...event.target.files];
      event.target.value = "";
      await sendPhotos(files);
    });
    $("photo-button").addEventListener("keydown", (event) => {
      if (event.key === "Enter" || event.key === " ") { event.preventDefault(); $("photo-input").click(); }
    });
    $("persona-select").addEventListener("change", (event) => switchPersona(event.target.value));
    $("back").addEventListener("click", () => document.body.classList.remove("show-conversation"));
    $("replying-cancel").addEventListener("click", () => { state.replyTo = null; renderReplying(); });
    $("tour-toggle").addEventListener("click", () => setTour(!document.body.classList.contains("tour-open")));
    $("tour-close").addEventListener("click", () => setTour(false));
    $("alert-ok").addEventListener("click", () => { $("alert").hidden = true; });
    // The tour is a column on wide screens and a drawer over the page on narrow ones.
    window.matchMedia("(min-width: 1101px)").addEventListener("change", (event) => setTour(event.matches));
  }

  async function loadCommunity() {
    for (;;) {
      try {
        const community = await api("/_demo/community");
        if (community.ready) return community;
      } catch (error) {
        // the server is still starting
      }
      await new Promise((resolve) => setTimeout(resolve, 400));
    }
  }

  async function start() {
    wire();
    state.community = await loadCommunity();
    state.lang = state.community.language === "en" ? "en" : "zh";
    applyStaticTexts();
    const everyChat = [...state.community.groups.map((group) => group.chat_id),
      ...people().map((someone) => someone.user_id)];
    await Promise.all(everyChat.map((chatId) => loadTimeline(chatId).catch(() => null)));
    for (const chatId of everyChat) state.baseline.set(chatId, newestId(state.timelines.get(chatId) || []));
    const hash = new URLSearchParams(location.hash.slice(1));
    const wanted = people().find((someone) => someone.user_id === Number(hash.get("p")));
    const first = wanted || byUsername("zhangwei") || people()[0];
    state.chatId = Number(hash.get("c")) || null;
    renderTour();
    setTour(window.matchMedia("(min-width: 1101px)").matches);
    await switchPersona(first.user_id, wanted ? null : "b3");
    if (!window.matchMedia("(max-width: 720px)").matches || hash.get("c")) openChat(state.chatId);
    else document.body.classList.remove("show-conversation");
    $("loading").hidden = true;
    document.body.classList.add("ready");
    listen();
  }

  start();
})();
