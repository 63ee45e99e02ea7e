// The chat page (`/`) and the widget's iframe page (`/embed.html`, body[data-layout=embed]): a question
// box with example questions from the catalog, questions on the right, answer cards on the left, progress
// stages streamed from /api/ask/stream, and the conversation kept in localStorage across reloads.
import { ApiError, api, errorFrom, takeTokenFromFragment } from "./api.js";
import { answerCard, errorMessage } from "./card.js";
import { append, h, replaceChildren } from "./dom.js";
import { language, onLanguageChange, setLanguage, stageLabel, t } from "./i18n.js";
import { localized } from "./localized.js";
import { readEvents } from "./sse.js";

const layout = document.body.dataset.layout === "embed" ? "embed" : "page";
if (layout === "embed") takeTokenFromFragment();
const CONVERSATION_KEY = `chatbi.conversation.${layout}`;

const store = {
  get() {
    try {
      return localStorage.getItem(CONVERSATION_KEY);
    } catch {
      return null;
    }
  },
  set(id) {
    try {
      if (id) localStorage.setItem(CONVERSATION_KEY, id);
      else localStorage.removeItem(CONVERSATION_KEY);
    } catch {
      // storage blocked (some third-party iframes): the conversation lasts as long as the page
    }
  },
};

let conversationId = store.get();
let busy = false;

// ---- layout -------------------------------------------------------------------------------------------

const langButton = h("button", { type: "button", class: "ghost", "data-action": "lang" }, localized("switchLang"));
localized.attr(langButton, "aria-label", "switchLangLabel");
langButton.addEventListener("click", () => setLanguage(language() === "zh" ? "en" : "zh"));

const newButton = h("button", { type: "button", class: "ghost", "data-action": "new" }, localized("newChat"));
newButton.addEventListener("click", () => {
  conversationId = null;
  store.set(null);
  replaceChildren(messages);
  showWelcome();
  input.focus();
});

const closeButton =
  layout === "embed" && window.parent !== window
    ? h("button", { type: "button", class: "ghost close", "data-action": "close" }, "×")
    : null;
if (closeButton) {
  localized.attr(closeButton, "aria-label", "closeChat");
  localized.attr(closeButton, "title", "closeChat");
  closeButton.addEventListener("click", () => window.parent.postMessage({ type: "chatbi:close" }, "*"));
}

const header = h(
  "header",
  { class: "topbar" },
  h(
    "div",
    { class: "brand" },
    h("h1", null, "chatbi ", h("span", { class: "product" }, localized("product"))),
    h("p", { class: "muted small" }, localized("subtitle")),
  ),
  h("div", { class: "tools" }, newButton, langButton, closeButton),
);

const messages = h("div", { class: "messages", "aria-live": "polite", "aria-relevant": "additions" });
const welcome = h("section", { class: "welcome" });
const scroller = h("main", { class: "scroller", tabindex: "-1" }, welcome, messages);

const input = h("textarea", {
  id: "question",
  rows: "1",
  maxlength: "2000",
  autocomplete: "off",
  enterkeyhint: "send",
});
localized.attr(input, "placeholder", "placeholder");
localized.attr(input, "aria-label", "question");
const sendButton = h("button", { type: "submit", class: "send" }, localized("send"));
const composer = h("form", { class: "composer" }, input, sendButton);

append(document.body, [h("div", { class: "app" }, header, scroller, composer)]);

function autosize() {
  input.style.height = "auto";
  input.style.height = `${Math.min(input.scrollHeight, 140)}px`;
}
input.addEventListener("input", autosize);
input.addEventListener("keydown", (event) => {
  // Enter sends; Shift+Enter is a new line; Enter that confirms an IME composition (Chinese input) is not a send.
  if (event.key === "Enter" && !event.shiftKey && !event.isComposing && event.keyCode !== 229) {
    event.preventDefault();
    composer.requestSubmit();
  }
});
composer.addEventListener("submit", (event) => {
  event.preventDefault();
  const question = input.value.trim();
  if (!question || busy) return;
  input.value = "";
  autosize();
  ask(question);
});
document.addEventListener("keydown", (event) => {
  if (event.key === "Escape" && closeButton) closeButton.click();
});

// ---- welcome and examples ------------------------------------------------------------------------------

let examplesFor = null;
async function showWelcome() {
  welcome.hidden = false;
  if (examplesFor === language() && welcome.childElementCount) return;
  examplesFor = language();
  const lang = examplesFor;
  let examples = [];
  try {
    const catalog = await api.catalog(lang);
    examples = (catalog.example_questions || []).filter(Boolean).slice(0, layout === "embed" ? 4 : 6);
  } catch {
    examples = [];
  }
  if (lang !== language()) return;
  replaceChildren(
    welcome,
    h("h2", null, localized("examples")),
    h(
      "div",
      { class: "chips examples", role: "group" },
      examples.map((text) => h("button", { type: "button", class: "chip", onclick: () => ask(text) }, text)),
    ),
  );
}

function hideWelcome() {
  welcome.hidden = true;
}

onLanguageChange(() => {
  if (!welcome.hidden) showWelcome();
});

// ---- asking --------------------------------------------------------------------------------------------

function scrollToEnd() {
  scroller.scrollTop = scroller.scrollHeight;
}

function questionBubble(text) {
  return h("div", { class: "bubble question", lang: /[\u3400-\u9fff]/.test(text) ? "zh-CN" : "en" }, h("p", null, text));
}

function progressCard() {
  const stages = h("ol", { class: "stages" });
  const preview = h("p", { class: "preview" });
  const card = h(
    "article",
    { class: "card progress", "aria-busy": "true" },
    h("p", { class: "thinking" }, h("span", { class: "spinner", "aria-hidden": "true" }), localized("thinking")),
    stages,
    preview,
  );
  card.stage = (name) => {
    const label = stageLabel(name);
    const last = stages.lastElementChild;
    if (last && last.textContent === label) return;
    if (last) last.classList.add("done");
    append(stages, h("li", { "data-stage": name }, label));
  };
  card.token = (text) => append(preview, text);
  return card;
}

function errorCard(error, retry) {
  const card = h(
    "article",
    { class: "card error", role: "alert" },
    h("h3", { class: "headline" }, localized("errorTitle")),
    h("p", { class: "message" }, errorMessage(error)),
  );
  const suggestions = (error instanceof ApiError && error.suggestions) || [];
  if (suggestions.length) {
    append(
      card,
      h(
        "div",
        { class: "chips suggestions" },
        suggestions.map((text) => h("button", { type: "button", class: "chip", onclick: () => ask(text) }, text)),
      ),
    );
  }
  if (retry) {
    append(card, h("div", { class: "actions" }, h("button", { type: "button", class: "action", onclick: retry }, localized("retry"))));
  }
  return card;
}

const handlers = {
  ask: (question) => ask(question),
  choose: (option) => ask(null, option),
};

async function showAnswer(answer, placeholder) {
  if (answer.conversation_id) {
    conversationId = answer.conversation_id;
    store.set(conversationId);
  }
  const card = answerCard(answer, handlers);
  placeholder.replaceWith(card);
  await card.mount();
  return card;
}

/** Ask `question` (or answer the pending clarification with `option`), streaming progress. */
async function ask(question, option) {
  if (busy) return;
  busy = true;
  sendButton.disabled = true;
  hideWelcome();
  const body = option ? { choice: option.id } : { question };
  if (conversationId) body.conversation_id = conversationId;
  const bubble = questionBubble(option ? option.label : question);
  const placeholder = progressCard();
  append(messages, [bubble, placeholder]);
  scrollToEnd();
  try {
    const answer = await streamAnswer(body, placeholder);
    await showAnswer(answer, placeholder);
    bubble.scrollIntoView({ block: "start" });
  } catch (error) {
    if (error instanceof ApiError && error.status === 404 && conversationId && /conversation/i.test(error.message)) {
      conversationId = null; // the conversation expired on the server: the next question starts a new one
      store.set(null);
    }
    // a network or server failure may pass: offer to retry; a refused question goes back to the box to edit
    const transient = !(error instanceof ApiError) || error.status === 0 || error.status >= 500;
    const card = errorCard(
      error,
      transient
        ? () => {
            card.remove();
            bubble.remove();
            ask(question, option);
          }
        : null,
    );
    placeholder.replaceWith(card);
    if (!transient && question && !input.value) {
      input.value = question;
      autosize();
    }
    scrollToEnd();
  } finally {
    busy = false;
    sendButton.disabled = false;
  }
}

/** POST /api/ask/stream and follow its events; falls back to POST /api/ask where streaming is absent. */
async function streamAnswer(body, placeholder) {
  const response = await api.stream(body);
  if (response.status === 404 || response.status === 405) {
    return api.ask(body);
  }
  if (!response.ok) throw await errorFrom(response);
  let answer = null;
  let failure = null;
  await readEvents(response, ({ event, data }) => {
    let payload;
    try {
      payload = JSON.parse(data);
    } catch {
      payload = { text: data };
    }
    if (event === "stage") placeholder.stage(payload.name || payload.stage || "");
    else if (event === "token") placeholder.token(payload.text || "");
    else if (event === "answer") answer = payload;
    else if (event === "error") {
      const detail = payload.error || payload;
      failure = new ApiError(detail.message || "", {
        status: detail.status || 500,
        code: detail.code || "error",
        suggestions: detail.suggestions || [],
      });
    }
  });
  if (failure) throw failure;
  if (!answer) throw new ApiError("", { code: "network" });
  return answer;
}

// ---- history -------------------------------------------------------------------------------------------

/** The (question, answer) pairs of a stored conversation, whatever the exact turn shape. */
function turnsOf(conversation) {
  const turns = conversation.turns || conversation.messages || [];
  return turns.map((turn) => {
    const answer = turn.answer && typeof turn.answer === "object" ? turn.answer : turn;
    const asked = turn.question ?? turn.choice_label ?? turn.choice ?? "";
    return { question: typeof asked === "string" ? asked : "", answer };
  });
}

async function restore() {
  if (!conversationId) return showWelcome();
  hideWelcome();
  const loading = h("p", { class: "muted small loading" }, localized("loadingHistory"));
  append(messages, loading);
  try {
    const conversation = await api.conversation(conversationId);
    loading.remove();
    const turns = turnsOf(conversation);
    if (!turns.length) return showWelcome();
    turns.forEach(({ question, answer }, index) => {
      if (question) append(messages, questionBubble(question));
      if (!answer || !answer.status) return;
      const card = answerCard({ conversation_id: conversationId, ...answer }, handlers);
      append(messages, card);
      card.mount();
      const next = turns[index + 1];
      if (answer.status === "clarify" && next) {
        // answered already: the options stay visible, the chosen one marked, none clickable
        for (const button of card.querySelectorAll(".chip.option")) {
          button.disabled = true;
          if (button.textContent === next.question) button.classList.add("chosen");
        }
      }
    });
    requestAnimationFrame(scrollToEnd);
  } catch (error) {
    loading.remove();
    conversationId = null;
    store.set(null);
    if (!(error instanceof ApiError && (error.status === 404 || error.status === 403))) {
      append(messages, errorCard(error));
    }
    showWelcome();
  }
}

document.documentElement.lang = language() === "zh" ? "zh-CN" : "en";
document.title = t("title");
onLanguageChange(() => {
  document.title = t("title");
});
restore();
input.focus({ preventScroll: true });
