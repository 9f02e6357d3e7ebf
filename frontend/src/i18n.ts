/**
 * Internationalisation: every user-visible string of the UI lives in the
 * dictionaries below. zh-CN is the default and the source of truth for the
 * set of keys; en-US must translate every key (enforced by the type checker).
 *
 * Components read strings with `useI18n().t('key', { var: value })`.
 */
import { createContext, useContext } from 'react';

export const LANG_STORAGE_KEY = 'nocode.lang';

export const LANGUAGES = ['zh-CN', 'en-US'] as const;
export type Lang = (typeof LANGUAGES)[number];
export const DEFAULT_LANG: Lang = 'zh-CN';

const zhCN = {
  'app.name': '无代码平台',
  'app.tagline': '私域电商的应用搭建与运行平台',
  'app.copyright': '私有化部署 · 数据留在您自己的服务器',

  'chart.empty': '(空)',
  'chart.total': '合计',
  'chart.rank': '排名',
  'chart.versus': '较{period}',
  'chart.versusPrevious': '较上期',
  'chart.target': '目标 {target} · 完成 {progress}',
  'chart.noData': '暂无数据',
  'chart.unsupported': '不支持的图表类型：{type}',
  'chart.yes': '是',
  'chart.no': '否',

  'common.listSeparator': '、',

  'lang.switch': '切换语言',
  'lang.zh-CN': '中文',
  'lang.en-US': 'English',

  'login.title': '登录',
  'login.subtitle': '使用您的账号登录控制台',
  'login.username': '用户名',
  'login.username.placeholder': '请输入用户名',
  'login.username.required': '请输入用户名',
  'login.password': '密码',
  'login.password.placeholder': '请输入密码',
  'login.password.required': '请输入密码',
  'login.submit': '登录',
  'login.failed': '登录失败',
  'login.sessionExpired': '登录已过期，请重新登录',
  'login.hero.title': '搭建属于您的业务应用',
  'login.hero.subtitle': '表单、流程、规则与报表，一站式配置，无需编写代码。',
  'login.hero.feature.forms': '可视化表单与数据模型',
  'login.hero.feature.flows': '审批流程与业务规则',
  'login.hero.feature.reports': '实时报表与数据洞察',

  'nav.apps': '应用',

  'user.logout': '退出登录',
  'user.admin': '管理员',

  'apps.title': '应用',
  'apps.subtitle': '已安装到本平台的应用',
  'apps.count': '共 {count} 个应用',
  'apps.empty.title': '还没有安装任何应用',
  'apps.empty.hint': '安装应用模板或发布应用后，它们会显示在这里。',
  'apps.version': '版本',
  'apps.forms': '表单',
  'apps.formsCount': '{count} 个表单',
  'apps.publishedAt': '发布于 {time}',
  'apps.notPublished': '未发布',
  'apps.noDescription': '暂无描述',
  'apps.open': '打开',
  'apps.reload': '刷新',

  'appDetail.back': '返回应用列表',
  'appDetail.forms': '表单',
  'appDetail.formsEmpty': '此应用没有表单',
  'appDetail.col.name': '名称',
  'appDetail.col.key': '标识',
  'appDetail.col.fields': '字段数',
  'appDetail.field.key': '字段标识',
  'appDetail.field.label': '字段名称',
  'appDetail.field.type': '类型',
  'appDetail.notFound': '应用不存在或尚未发布',

  'notFound.title': '页面不存在',
  'notFound.back': '返回首页',

  'error.title': '出错了',
  'error.network': '无法连接服务器，请检查网络后重试',
  'error.unknown': '发生未知错误',
  'error.retry': '重试',

  'nav.tasks': '待办',
  'rt.nav.home': '首页',
  'rt.yes': '是',
  'rt.no': '否',
  'rt.home.tasks': '我的待办',
  'rt.home.allTasks': '全部待办',
  'rt.home.dashboards': '看板',
  'rt.home.noDashboards': '此应用没有看板',
  'rt.list.total': '共 {count} 条',
  'rt.list.new': '新建',
  'rt.list.rows': '{count} 行',
  'rt.list.export': '导出',
  'rt.list.search': '搜索记录',
  'rt.list.filtered': '已按图表筛选',
  'rt.list.empty': '暂无记录',
  'rt.list.deleteSelected': '删除所选（{count}）',
  'rt.list.deleteConfirm': '确定删除所选的 {count} 条记录？',
  'rt.list.deleted': '已删除 {count} 条记录',
  'rt.form.notFound': '表单 {form} 不存在',
  'rt.form.save': '保存',
  'rt.form.cancel': '取消',
  'rt.form.saved': '已保存',
  'rt.form.required': '请填写{field}',
  'rt.form.conflict': '记录已被他人修改',
  'rt.form.reload': '重新加载',
  'rt.form.addRow': '添加一行',
  'rt.form.removeRow': '删除此行',
  'rt.form.upload': '上传文件',
  'rt.form.addressDetail': '详细地址',
  'rt.record.new': '新建{form}',
  'rt.record.edit': '编辑',
  'rt.record.delete': '删除',
  'rt.record.deleteConfirm': '确定删除这条记录？',
  'rt.record.print': '打印',
  'rt.record.triggered': '已发起「{flow}」',
  'rt.record.fields': '详情',
  'rt.record.audit': '修改记录',
  'rt.record.flows': '流程',
  'rt.record.noFlows': '此记录还没有流程',
  'rt.record.meta': '编号 {id} · 版本 {version} · 更新于 {updated}',
  'rt.audit.create': '创建',
  'rt.audit.update': '修改',
  'rt.audit.delete': '删除',
  'rt.audit.merge': '合并',
  'rt.audit.system': '系统',
  'rt.history.start': '发起',
  'rt.history.comment': '评论',
  'rt.history.approved': '同意',
  'rt.history.rejected': '驳回',
  'rt.history.return': '退回',
  'rt.history.transfer': '转交',
  'rt.history.add_signer': '加签',
  'rt.history.withdraw': '撤回',
  'rt.history.cancel': '取消',
  'rt.history.urge': '催办',
  'rt.history.cc': '抄送',
  'rt.history.timeout': '超时',
  'rt.history.auto_pass': '自动通过',
  'rt.history.resubmit': '重新提交',
  'rt.history.record_created': '创建记录',
  'rt.history.record_updated': '更新记录',
  'rt.history.record_deleted': '删除记录',
  'rt.history.notified': '已通知',
  'rt.history.finish': '结束',
  'rt.history.effect_failed': '执行失败',
  'rt.flow.name': '流程',
  'rt.flow.status': '状态',
  'rt.flow.started': '发起时间',
  'rt.flow.current': '当前节点',
  'rt.status.running': '进行中',
  'rt.status.completed': '已完成',
  'rt.status.approved': '已同意',
  'rt.status.rejected': '已驳回',
  'rt.status.failed': '失败',
  'rt.status.cancelled': '已取消',
  'rt.status.withdrawn': '已撤回',
  'rt.status.pending': '待处理',
  'rt.status.done': '已处理',
  'rt.inbox.title': '待办中心',
  'rt.inbox.todo': '待办',
  'rt.inbox.done': '已办',
  'rt.inbox.cc': '抄送我',
  'rt.inbox.empty': '没有任务',
  'rt.inbox.due': '截止 {time}',
  'rt.inbox.notFound': '任务不在此列表中',
  'rt.inbox.act': '处理',
  'rt.inbox.comment': '审批意见（可选）',
  'rt.inbox.userId': '用户编号',
  'rt.inbox.record': '记录',
  'rt.inbox.history': '流转记录',
  'rt.action.approve': '同意',
  'rt.action.reject': '驳回',
  'rt.action.return': '退回',
  'rt.action.transfer': '转交',
  'rt.action.add_signer': '加签',
  'rt.action.comment': '评论',
  'rt.action.read': '已阅',
  'rt.bell.title': '消息',
  'rt.bell.empty': '没有消息',
  'rt.bell.readAll': '全部标为已读',
  'rt.dashboard.empty': '此看板没有部件',
  'rt.dashboard.preset': '时间范围',
  'rt.preset.today': '今天',
  'rt.preset.yesterday': '昨天',
  'rt.preset.this_week': '本周',
  'rt.preset.last_week': '上周',
  'rt.preset.last_7_days': '近 7 天',
  'rt.preset.last_30_days': '近 30 天',
  'rt.preset.this_month': '本月',
  'rt.preset.last_month': '上月',
  'rt.preset.this_quarter': '本季度',
  'rt.preset.last_quarter': '上季度',
  'rt.preset.this_year': '今年',
  'rt.preset.last_year': '去年',
  'rt.dashboard.widgetError': '无法显示此部件（{code}）',
} as const;

export type MessageKey = keyof typeof zhCN;
export type Messages = Record<MessageKey, string>;

const enUS: Messages = {
  'app.name': 'No-code platform',
  'app.tagline': 'Build and run business apps for private-domain commerce',
  'app.copyright': 'Self-hosted · your data stays on your own servers',

  'chart.empty': '(empty)',
  'chart.total': 'Total',
  'chart.rank': 'Rank',
  'chart.versus': 'vs {period}',
  'chart.versusPrevious': 'vs previous',
  'chart.target': 'Target {target} · {progress} reached',
  'chart.noData': 'No data',
  'chart.unsupported': 'Unsupported chart type: {type}',
  'chart.yes': 'Yes',
  'chart.no': 'No',

  'common.listSeparator': ', ',

  'lang.switch': 'Switch language',
  'lang.zh-CN': '中文',
  'lang.en-US': 'English',

  'login.title': 'Sign in',
  'login.subtitle': 'Sign in to the console with your account',
  'login.username': 'Username',
  'login.username.placeholder': 'Enter your username',
  'login.username.required': 'Please enter your username',
  'login.password': 'Password',
  'login.password.placeholder': 'Enter your password',
  'login.password.required': 'Please enter your password',
  'login.submit': 'Sign in',
  'login.failed': 'Sign-in failed',
  'login.sessionExpired': 'Your session has expired. Please sign in again.',
  'login.hero.title': 'Build the business apps you need',
  'login.hero.subtitle': 'Forms, workflows, rules and reports, all configured without writing code.',
  'login.hero.feature.forms': 'Visual forms and data models',
  'login.hero.feature.flows': 'Approval workflows and business rules',
  'login.hero.feature.reports': 'Live reports and insights',

  'nav.apps': 'Apps',

  'user.logout': 'Sign out',
  'user.admin': 'Admin',

  'apps.title': 'Apps',
  'apps.subtitle': 'Apps installed on this platform',
  'apps.count': '{count} app|{count} apps',
  'apps.empty.title': 'No apps installed yet',
  'apps.empty.hint': 'Apps appear here once a template is installed or an app is published.',
  'apps.version': 'Version',
  'apps.forms': 'Forms',
  'apps.formsCount': '{count} form|{count} forms',
  'apps.publishedAt': 'Published {time}',
  'apps.notPublished': 'Not published',
  'apps.noDescription': 'No description',
  'apps.open': 'Open',
  'apps.reload': 'Refresh',

  'appDetail.back': 'Back to apps',
  'appDetail.forms': 'Forms',
  'appDetail.formsEmpty': 'This app has no forms',
  'appDetail.col.name': 'Name',
  'appDetail.col.key': 'Key',
  'appDetail.col.fields': 'Fields',
  'appDetail.field.key': 'Field key',
  'appDetail.field.label': 'Label',
  'appDetail.field.type': 'Type',
  'appDetail.notFound': 'This app does not exist or has not been published',

  'notFound.title': 'Page not found',
  'notFound.back': 'Back to home',

  'error.title': 'Something went wrong',
  'error.network': 'Cannot reach the server. Check your connection and try again.',
  'error.unknown': 'An unknown error occurred',
  'error.retry': 'Retry',

  'nav.tasks': 'Tasks',
  'rt.nav.home': 'Home',
  'rt.yes': 'Yes',
  'rt.no': 'No',
  'rt.home.tasks': 'My tasks',
  'rt.home.allTasks': 'All tasks',
  'rt.home.dashboards': 'Dashboards',
  'rt.home.noDashboards': 'This app has no dashboards',
  'rt.list.total': '{count} record|{count} records',
  'rt.list.new': 'New',
  'rt.list.rows': '{count} row|{count} rows',
  'rt.list.export': 'Export',
  'rt.list.search': 'Search records',
  'rt.list.filtered': 'Filtered from a chart',
  'rt.list.empty': 'No records',
  'rt.list.deleteSelected': 'Delete selected ({count})',
  'rt.list.deleteConfirm': 'Delete the {count} selected records?',
  'rt.list.deleted': '{count} record deleted|{count} records deleted',
  'rt.form.notFound': 'Form {form} does not exist',
  'rt.form.save': 'Save',
  'rt.form.cancel': 'Cancel',
  'rt.form.saved': 'Saved',
  'rt.form.required': 'Please fill in {field}',
  'rt.form.conflict': 'Someone else changed this record',
  'rt.form.reload': 'Reload',
  'rt.form.addRow': 'Add a row',
  'rt.form.removeRow': 'Remove this row',
  'rt.form.upload': 'Upload',
  'rt.form.addressDetail': 'Street address',
  'rt.record.new': 'New {form}',
  'rt.record.edit': 'Edit',
  'rt.record.delete': 'Delete',
  'rt.record.deleteConfirm': 'Delete this record?',
  'rt.record.print': 'Print',
  'rt.record.triggered': 'Started "{flow}"',
  'rt.record.fields': 'Details',
  'rt.record.audit': 'History',
  'rt.record.flows': 'Flows',
  'rt.record.noFlows': 'No flow has run on this record',
  'rt.record.meta': 'ID {id} · version {version} · updated {updated}',
  'rt.audit.create': 'Created',
  'rt.audit.update': 'Changed',
  'rt.audit.delete': 'Deleted',
  'rt.audit.merge': 'Merged',
  'rt.audit.system': 'System',
  'rt.history.start': 'Started',
  'rt.history.comment': 'Commented',
  'rt.history.approved': 'Approved',
  'rt.history.rejected': 'Rejected',
  'rt.history.return': 'Returned',
  'rt.history.transfer': 'Transferred',
  'rt.history.add_signer': 'Added a signer',
  'rt.history.withdraw': 'Withdrawn',
  'rt.history.cancel': 'Cancelled',
  'rt.history.urge': 'Urged',
  'rt.history.cc': 'Copied',
  'rt.history.timeout': 'Timed out',
  'rt.history.auto_pass': 'Passed automatically',
  'rt.history.resubmit': 'Resubmitted',
  'rt.history.record_created': 'Record created',
  'rt.history.record_updated': 'Record updated',
  'rt.history.record_deleted': 'Record deleted',
  'rt.history.notified': 'Notified',
  'rt.history.finish': 'Finished',
  'rt.history.effect_failed': 'Step failed',
  'rt.flow.name': 'Flow',
  'rt.flow.status': 'Status',
  'rt.flow.started': 'Started',
  'rt.flow.current': 'Current step',
  'rt.status.running': 'Running',
  'rt.status.completed': 'Completed',
  'rt.status.approved': 'Approved',
  'rt.status.rejected': 'Rejected',
  'rt.status.failed': 'Failed',
  'rt.status.cancelled': 'Cancelled',
  'rt.status.withdrawn': 'Withdrawn',
  'rt.status.pending': 'Pending',
  'rt.status.done': 'Done',
  'rt.inbox.title': 'Tasks',
  'rt.inbox.todo': 'To do',
  'rt.inbox.done': 'Done',
  'rt.inbox.cc': 'CC',
  'rt.inbox.empty': 'No tasks',
  'rt.inbox.due': 'due {time}',
  'rt.inbox.notFound': 'This task is not in this box',
  'rt.inbox.act': 'Act',
  'rt.inbox.comment': 'Comment (optional)',
  'rt.inbox.userId': 'User ID',
  'rt.inbox.record': 'Record',
  'rt.inbox.history': 'History',
  'rt.action.approve': 'Approve',
  'rt.action.reject': 'Reject',
  'rt.action.return': 'Return',
  'rt.action.transfer': 'Transfer',
  'rt.action.add_signer': 'Add signer',
  'rt.action.comment': 'Comment',
  'rt.action.read': 'Mark read',
  'rt.bell.title': 'Notifications',
  'rt.bell.empty': 'No notifications',
  'rt.bell.readAll': 'Mark all as read',
  'rt.dashboard.empty': 'This dashboard has no widgets',
  'rt.dashboard.preset': 'Period',
  'rt.preset.today': 'Today',
  'rt.preset.yesterday': 'Yesterday',
  'rt.preset.this_week': 'This week',
  'rt.preset.last_week': 'Last week',
  'rt.preset.last_7_days': 'Last 7 days',
  'rt.preset.last_30_days': 'Last 30 days',
  'rt.preset.this_month': 'This month',
  'rt.preset.last_month': 'Last month',
  'rt.preset.this_quarter': 'This quarter',
  'rt.preset.last_quarter': 'Last quarter',
  'rt.preset.this_year': 'This year',
  'rt.preset.last_year': 'Last year',
  'rt.dashboard.widgetError': 'This widget cannot be shown ({code})',
};

export const MESSAGES: Record<Lang, Messages> = {
  'zh-CN': zhCN,
  'en-US': enUS,
};

export type TranslateVars = Record<string, string | number>;
export type Translate = (key: MessageKey, vars?: TranslateVars) => string;

/**
 * Look a key up in a language's dictionary and fill `{name}` placeholders.
 * A message of the form `singular|plural` picks by `vars.count` (1 → singular).
 */
export function translate(lang: Lang, key: MessageKey, vars?: TranslateVars): string {
  let template: string = MESSAGES[lang][key] ?? MESSAGES[DEFAULT_LANG][key] ?? key;
  if (template.includes('|')) {
    const [one, other] = template.split('|');
    template = vars?.count === 1 ? one : other;
  }
  if (!vars) return template;
  return template.replace(/\{(\w+)\}/g, (match, name: string) =>
    name in vars ? String(vars[name]) : match,
  );
}

export function isLang(value: unknown): value is Lang {
  return typeof value === 'string' && (LANGUAGES as readonly string[]).includes(value);
}

/** The language remembered in localStorage, or the default (zh-CN). */
export function getStoredLang(): Lang {
  try {
    const stored = window.localStorage.getItem(LANG_STORAGE_KEY);
    return isLang(stored) ? stored : DEFAULT_LANG;
  } catch {
    return DEFAULT_LANG;
  }
}

export function storeLang(lang: Lang): void {
  try {
    window.localStorage.setItem(LANG_STORAGE_KEY, lang);
  } catch {
    // Storage may be unavailable (private mode); the choice then lasts for this page only.
  }
}

export interface I18nContextValue {
  lang: Lang;
  setLang: (lang: Lang) => void;
  t: Translate;
}

export const I18nContext = createContext<I18nContextValue>({
  lang: DEFAULT_LANG,
  setLang: () => undefined,
  t: (key, vars) => translate(DEFAULT_LANG, key, vars),
});

export function useI18n(): I18nContextValue {
  return useContext(I18nContext);
}
