// Numbers and words for the screen, in Chinese (default) or English.
// Money arrives in minor units (fen); Chinese screens read large amounts in
// 万 / 亿, English ones in K / M / B.

const WORDS = {
  zh: {
    gmv: '成交额 GMV', net_gmv: '净成交额', orders: '订单数', buyers: '买家数', aov: '客单价',
    upo: '连带率', profit: '利润额', orders_per_s: '每秒订单', refunds: '退款额', completion: '目标完成率',
    target: '目标', projected: '预计', cumulative: '累计成交额', actual: '实际', plan: '计划',
    gmv_per_minute: '每分钟成交额（近 1 小时）', orders_per_second: '每秒订单（近 5 分钟）',
    channels: '渠道完成率', stores: '门店排行', skus: '商品排行', stock: '库存预警', alerts: '告警',
    live: '实时', stale: '数据中断', connecting: '连接中', ahead: '领先计划', behind: '落后计划',
    on_plan: '按计划', since_start: '已开始', to_end: '距结束', to_start: '距开始', ended: '已结束',
    out: '售罄', low: '低库存', eta: '售罄于', no_alerts: '暂无告警', no_warnings: '库存正常',
    no_data: '暂无数据', margin: '毛利率', vs_baseline: '同比', baseline: '去年同期',
    storage_unstored: '数据未落盘：屏上数字含 {n} 批尚未保存的事件，新事件暂未计入',
    storage_write_failed: '存储故障：数据无法写入，新事件暂未计入',
    storage_disk_full: '磁盘已满：新事件暂未计入',
    stream_behind: '本节点数据落后 {s} 秒：屏上数字不是最新',
    stream_catching_up: '本节点正在追赶数据：屏上数字不是最新',
    node: '节点', held: '追赶中',
    page_sales: '销售', page_efficiency: '效率与地区', efficiency: '投放效率', channel_efficiency: '渠道投放效率',
    visitors: '访客数', page_views: '浏览量', conversion: '转化率', spend: '推广花费', roi: '投产比',
    cost_to_sales: '费比', budget_burn: '预算消耗', budget_plan: '计划', no_budget: '未设预算',
    worst_roi: '投产比最低', channel: '渠道', campaign: '推广活动', campaigns: '推广活动（按花费）',
    budget_used: '预算已用', region_map: '地区分布（按成交额）', top_regions: '地区排行',
    other_regions: '其他地区', share: '占比', region: '地区', no_spend: '暂无推广花费',
    campaigns_by_channel: '推广活动按渠道统计，门店视图不含',
    log: '告警与备注', note: '备注', no_log: '暂无告警或备注', note_placeholder: '添加备注：如“00:12 支付网关变慢，已切备用”',
    note_author: '署名（可选）', note_add: '添加备注', note_failed: '备注未能提交',
  },
  en: {
    gmv: 'GMV', net_gmv: 'Net GMV', orders: 'Orders', buyers: 'Buyers', aov: 'AOV',
    upo: 'Units/order', profit: 'Profit', orders_per_s: 'Orders/s', refunds: 'Refunds', completion: 'Target completion',
    target: 'Target', projected: 'Projected', cumulative: 'Cumulative GMV', actual: 'actual', plan: 'plan',
    gmv_per_minute: 'GMV per minute (last hour)', orders_per_second: 'Orders per second (last 5 min)',
    channels: 'Channels', stores: 'Stores', skus: 'Top SKUs', stock: 'Stock warnings', alerts: 'Alerts',
    live: 'LIVE', stale: 'STALE', connecting: 'connecting', ahead: 'ahead of plan', behind: 'behind plan',
    on_plan: 'on plan', since_start: 'since start', to_end: 'to end', to_start: 'to start', ended: 'ended',
    out: 'SOLD OUT', low: 'LOW', eta: 'out in', no_alerts: 'No alerts', no_warnings: 'Stock OK',
    no_data: 'No data yet', margin: 'margin', vs_baseline: 'vs last sale', baseline: 'last sale',
    storage_unstored: 'Not stored: the figures include {n} batch(es) not yet saved; new events are not being counted',
    storage_write_failed: 'Storage failing: data cannot be written; new events are not being counted',
    storage_disk_full: 'Disk full: new events are not being counted',
    stream_behind: 'This node is {s} s behind: the figures are not the newest',
    stream_catching_up: 'This node is catching up: the figures are not the newest',
    node: 'node', held: 'catching up',
    page_sales: 'Sales', page_efficiency: 'Efficiency & regions', efficiency: 'Efficiency', channel_efficiency: 'Channel efficiency',
    visitors: 'Visitors', page_views: 'Page views', conversion: 'Conversion', spend: 'Spend', roi: 'ROI',
    cost_to_sales: 'Cost/sales', budget_burn: 'Budget burn', budget_plan: 'plan', no_budget: 'no budget set',
    worst_roi: 'lowest ROI', channel: 'Channel', campaign: 'Campaign', campaigns: 'Campaigns (by spend)',
    budget_used: 'Budget used', region_map: 'Sales by region (GMV)', top_regions: 'Top regions',
    other_regions: 'Other regions', share: 'Share', region: 'Region', no_spend: 'No spend yet',
    campaigns_by_channel: 'Campaigns are counted per channel, not per store',
    log: 'Alerts & notes', note: 'note', no_log: 'No alerts or notes', note_placeholder: 'Add a note, e.g. "00:12 payment gateway slow, switched to backup"',
    note_author: 'Author (optional)', note_add: 'Add note', note_failed: 'The note was not posted',
  },
};

const SYMBOLS = { CNY: '¥', USD: '$', EUR: '€', GBP: '£', JPY: '¥', KRW: '₩', HKD: 'HK$', TWD: 'NT$' };
const ZERO_DECIMALS = new Set(['JPY', 'KRW', 'VND', 'CLP', 'ISK', 'PYG', 'UGX', 'XAF', 'XOF']);
const THREE_DECIMALS = new Set(['BHD', 'KWD', 'OMR', 'JOD', 'TND', 'IQD', 'LYD']);

export class Format {
  /** @param {'zh'|'en'} lang  @param {string} currency */
  constructor(lang, currency) {
    this.lang = lang === 'en' ? 'en' : 'zh';
    this.setCurrency(currency || 'CNY');
  }

  setCurrency(code) {
    this.currency = code;
    this.symbol = SYMBOLS[code] ?? code + ' ';
    this.scale = ZERO_DECIMALS.has(code) ? 1 : THREE_DECIMALS.has(code) ? 1000 : 100;
  }

  word(key) { return WORDS[this.lang][key] ?? key; }

  /** Minor units → a short amount: ¥1.23亿 / ¥1.23B. */
  money(minor) {
    if (minor === null || minor === undefined) return '—';
    const major = minor / this.scale;
    return (major < 0 ? '-' : '') + this.symbol + this.big(Math.abs(major), 2);
  }

  /** Minor units → a full amount with separators: ¥1,234.56. */
  moneyFull(minor) {
    if (minor === null || minor === undefined) return '—';
    const digits = this.scale === 1 ? 0 : this.scale === 1000 ? 3 : 2;
    return this.symbol + (minor / this.scale).toLocaleString(this.lang === 'zh' ? 'zh-CN' : 'en-US',
      { minimumFractionDigits: digits, maximumFractionDigits: digits });
  }

  /** A count: 12.3万 / 123.4K; small numbers in full. */
  count(n) {
    if (n === null || n === undefined) return '—';
    return this.big(n, n >= 1e4 ? 2 : 0);
  }

  big(x, digits) {
    const fix = (v) => v.toFixed(digits).replace(/\.?0+$/, '') || '0';
    if (this.lang === 'zh') {
      if (x >= 1e8) return fix(x / 1e8) + '亿';
      if (x >= 1e4) return fix(x / 1e4) + '万';
    } else {
      if (x >= 1e9) return fix(x / 1e9) + 'B';
      if (x >= 1e6) return fix(x / 1e6) + 'M';
      if (x >= 1e4) return fix(x / 1e3) + 'K';
    }
    // A fraction is shown whole (¥9,000.50, not ¥9,000.5); whole numbers
    // without one.
    const min = Number.isInteger(Math.round(x * 10 ** digits) / 10 ** digits) ? 0 : digits;
    return x.toLocaleString(this.lang === 'zh' ? 'zh-CN' : 'en-US',
      { minimumFractionDigits: min, maximumFractionDigits: digits });
  }

  pct(f, digits = 1) {
    return f === null || f === undefined ? '—' : (f * 100).toFixed(digits) + '%';
  }

  num(x, digits = 2) {
    return x === null || x === undefined ? '—' : x.toFixed(digits);
  }

  /** Seconds → "1:02:03" or "4:05". */
  duration(s) {
    s = Math.max(0, Math.floor(s));
    const h = Math.floor(s / 3600), m = Math.floor((s % 3600) / 60), sec = s % 60;
    const two = (v) => String(v).padStart(2, '0');
    return h > 0 ? `${h}:${two(m)}:${two(sec)}` : `${m}:${two(sec)}`;
  }
}
