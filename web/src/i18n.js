// The client's own words in Chinese and English. Answers come from the server in the question's language;
// only the interface follows this choice (the browser's language, or the switch, kept in localStorage).

const WORDS = {
  zh: {
    title: "chatbi 售后分析助手",
    product: "售后分析助手",
    subtitle: "用中文或英文提问",
    placeholder: "输入问题，按 Enter 发送",
    send: "发送",
    question: "问题",
    newChat: "新对话",
    switchLang: "English",
    switchLangLabel: "切换到英文界面",
    examples: "可以这样问",
    you: "你的问题",
    answer: "回答",
    table: "表格",
    hideTable: "收起表格",
    sql: "SQL 与查询",
    hideSql: "收起 SQL",
    csv: "下载 CSV",
    png: "下载 PNG",
    up: "有帮助",
    down: "没帮助",
    chartKind: "图表类型",
    chartOriginal: "原图",
    chartBar: "柱状",
    chartLine: "折线",
    commentLabel: "哪里不对？（可选）",
    commentPlaceholder: "例如：口径不对、少了某个大区……",
    sendFeedback: "提交",
    thanks: "谢谢反馈",
    feedbackFailed: "反馈未能提交：",
    suggestions: "接着问",
    clarify: "请选择",
    thinking: "正在思考……",
    stages: {
      received: "已收到问题",
      planning: "理解问题",
      plan: "理解问题",
      parsing: "理解问题",
      querying: "查询数据",
      query: "查询数据",
      executing: "查询数据",
      analysing: "分析结果",
      analyzing: "分析结果",
      analysis: "分析结果",
      charting: "绘制图表",
      chart: "绘制图表",
      thinking: "AI 模型理解问题",
      writing: "润色结论",
      narrating: "撰写结论",
      narrative: "撰写结论",
      done: "完成",
    },
    errorTitle: "出错了",
    networkError: "无法连接服务器，请检查网络后重试。",
    retry: "重试",
    historyLost: "之前的对话已不可用，已开始新对话。",
    emptyTable: "没有数据",
    rows: (n) => `${n} 行`,
    truncated: "结果过多，仅显示前面部分。",
    sqlTitle: "执行的 SQL",
    queryTitle: "语义查询",
    unsupported: "暂时答不了",
    readByLlm: "由 AI 模型理解问题",
    readingLabel: "理解为：",
    unknownWord: "未能理解这个词",
    chartLabel: (title) => `图表：${title}`,
    openChat: "打开 chatbi 助手",
    closeChat: "关闭",
    loadingHistory: "正在载入对话……",
    dataAsOf: (t) => `数据截至 ${t}`,
  },
  en: {
    title: "chatbi service analytics",
    product: "service analytics",
    subtitle: "Ask in English or Chinese",
    placeholder: "Ask a question…",
    send: "Send",
    question: "Question",
    newChat: "New chat",
    switchLang: "中文",
    switchLangLabel: "Switch the interface to Chinese",
    examples: "Try asking",
    you: "Your question",
    answer: "Answer",
    table: "Table",
    hideTable: "Hide table",
    sql: "SQL & query",
    hideSql: "Hide SQL",
    csv: "CSV",
    png: "PNG",
    up: "Helpful",
    down: "Not helpful",
    chartKind: "Chart type",
    chartOriginal: "Original",
    chartBar: "Bars",
    chartLine: "Line",
    commentLabel: "What was wrong? (optional)",
    commentPlaceholder: "e.g. wrong definition, a region is missing…",
    sendFeedback: "Send",
    thanks: "Thanks for the feedback",
    feedbackFailed: "Feedback not sent: ",
    suggestions: "Ask next",
    clarify: "Choose one",
    thinking: "Thinking…",
    stages: {
      received: "Question received",
      planning: "Understanding the question",
      plan: "Understanding the question",
      parsing: "Understanding the question",
      querying: "Querying the data",
      query: "Querying the data",
      executing: "Querying the data",
      analysing: "Analysing the result",
      analyzing: "Analysing the result",
      analysis: "Analysing the result",
      charting: "Drawing the chart",
      chart: "Drawing the chart",
      thinking: "Asking the AI model",
      writing: "Polishing the wording",
      narrating: "Writing the answer",
      narrative: "Writing the answer",
      done: "Done",
    },
    errorTitle: "Something went wrong",
    networkError: "Cannot reach the server. Check the connection and try again.",
    retry: "Retry",
    historyLost: "The previous conversation is no longer available; a new one has started.",
    emptyTable: "No data",
    rows: (n) => `${n} row${n === 1 ? "" : "s"}`,
    truncated: "Too many rows: only the first ones are shown.",
    sqlTitle: "SQL as executed",
    queryTitle: "Semantic query",
    unsupported: "Not answerable yet",
    readByLlm: "Question read by the AI model",
    readingLabel: "Understood as:",
    unknownWord: "A word I could not place",
    chartLabel: (title) => `Chart: ${title}`,
    openChat: "Open the chatbi assistant",
    closeChat: "Close",
    loadingHistory: "Loading the conversation…",
    dataAsOf: (t) => `Data as of ${t}`,
  },
};

const STORAGE_KEY = "chatbi.lang";
let current = initialLanguage();
const listeners = new Set();

function initialLanguage() {
  const fromUrl = new URLSearchParams(location.hash.slice(1)).get("lang");
  if (fromUrl === "zh" || fromUrl === "en") return fromUrl;
  try {
    const saved = localStorage.getItem(STORAGE_KEY);
    if (saved === "zh" || saved === "en") return saved;
  } catch {
    // storage can be blocked in third-party iframes; the browser's language still applies
  }
  const browser = (navigator.languages && navigator.languages[0]) || navigator.language || "en";
  return browser.toLowerCase().startsWith("zh") ? "zh" : "en";
}

/** The interface language, "zh" or "en". */
export function language() {
  return current;
}

/** A word of the interface in the current language (stage names fall back to the name itself). */
export function t(key, ...args) {
  const value = WORDS[current][key];
  return typeof value === "function" ? value(...args) : value;
}

export function stageLabel(name) {
  return WORDS[current].stages[name] || String(name).replace(/[_-]+/g, " ");
}

export function setLanguage(lang) {
  if (lang !== "zh" && lang !== "en") return;
  current = lang;
  try {
    localStorage.setItem(STORAGE_KEY, lang);
  } catch {
    // not persisted; the switch still works for this page
  }
  document.documentElement.lang = lang === "zh" ? "zh-CN" : "en";
  for (const listener of listeners) listener(lang);
}

export function onLanguageChange(listener) {
  listeners.add(listener);
}
