//! The alert rules by name: what `[alerts.silences]`, `POST /api/v1/silences`,
//! the alert book and every message call them.
//!
//! The set is closed, so it is an enum: silences are checked against it when
//! the config is read, the book compares rules without strings, and each
//! rule's title in both languages lives beside its name. The spellings
//! (`as_str`, and serde's) are those of the wire and of existing data
//! directories' `alerts.json`; they never change.

use serde::{Deserialize, Serialize};

use super::alerts::Lang;

/// One alert rule (see docs/api.md, Alerts, for when each fires).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Rule {
    Milestone,
    GmvMark,
    LowStock,
    SoldOut,
    SelloutEta,
    RateDrop,
    Spike,
    RefundRate,
    NoEvents,
    RoiLow,
    BudgetAhead,
    ConversionDrop,
}

impl Rule {
    /// Every rule, in the order messages and errors list them.
    pub const ALL: [Rule; 12] = [
        Rule::Milestone,
        Rule::GmvMark,
        Rule::LowStock,
        Rule::SoldOut,
        Rule::SelloutEta,
        Rule::RateDrop,
        Rule::Spike,
        Rule::RefundRate,
        Rule::NoEvents,
        Rule::RoiLow,
        Rule::BudgetAhead,
        Rule::ConversionDrop,
    ];

    /// The name as config, API and `alerts.json` spell it.
    pub const fn as_str(self) -> &'static str {
        match self {
            Rule::Milestone => "milestone",
            Rule::GmvMark => "gmv_mark",
            Rule::LowStock => "low_stock",
            Rule::SoldOut => "sold_out",
            Rule::SelloutEta => "sellout_eta",
            Rule::RateDrop => "rate_drop",
            Rule::Spike => "spike",
            Rule::RefundRate => "refund_rate",
            Rule::NoEvents => "no_events",
            Rule::RoiLow => "roi_low",
            Rule::BudgetAhead => "budget_ahead",
            Rule::ConversionDrop => "conversion_drop",
        }
    }

    pub fn parse(name: &str) -> Option<Rule> {
        Rule::ALL.into_iter().find(|r| r.as_str() == name)
    }

    pub fn title_zh(self) -> &'static str {
        match self {
            Rule::Milestone => "目标达成",
            Rule::GmvMark => "成交额里程碑",
            Rule::LowStock => "库存不足",
            Rule::SoldOut => "已售罄",
            Rule::SelloutEta => "即将售罄",
            Rule::RateDrop => "下单量骤降",
            Rule::Spike => "下单量激增",
            Rule::RefundRate => "退款率过高",
            Rule::NoEvents => "数据中断",
            Rule::RoiLow => "投产比过低",
            Rule::BudgetAhead => "预算消耗超前",
            Rule::ConversionDrop => "转化率骤降",
        }
    }

    pub fn title_en(self) -> &'static str {
        match self {
            Rule::Milestone => "Target milestone",
            Rule::GmvMark => "GMV mark",
            Rule::LowStock => "Low stock",
            Rule::SoldOut => "Sold out",
            Rule::SelloutEta => "Selling out",
            Rule::RateDrop => "Order rate drop",
            Rule::Spike => "Order spike",
            Rule::RefundRate => "High refund rate",
            Rule::NoEvents => "No events",
            Rule::RoiLow => "Low ROI",
            Rule::BudgetAhead => "Spend ahead of budget",
            Rule::ConversionDrop => "Conversion drop",
        }
    }

    /// The title in the sale's message language.
    pub fn title(self, lang: Lang) -> &'static str {
        match lang {
            Lang::Zh => self.title_zh(),
            Lang::En => self.title_en(),
        }
    }
}

/// The rule names as strings, for callers that list or check names
/// (`Rule::parse` is the typed way).
pub const RULES: &[&str] = &{
    let mut names = [""; Rule::ALL.len()];
    let mut i = 0;
    while i < names.len() {
        names[i] = Rule::ALL[i].as_str();
        i += 1;
    }
    names
};

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip_through_str_and_serde() {
        for r in Rule::ALL {
            assert_eq!(Rule::parse(r.as_str()), Some(r));
            let json = serde_json::to_string(&r).expect("json");
            assert_eq!(json, format!("\"{}\"", r.as_str()));
            assert_eq!(serde_json::from_str::<Rule>(&json).ok(), Some(r));
        }
        assert_eq!(RULES.len(), Rule::ALL.len());
        assert_eq!(RULES[2], "low_stock");
        assert_eq!(Rule::parse("typo"), None);
        assert_eq!(Rule::LowStock.title(Lang::Zh), "库存不足");
        assert_eq!(Rule::LowStock.title(Lang::En), "Low stock");
        assert_eq!(
            [RULES[9], RULES[10], RULES[11]],
            ["roi_low", "budget_ahead", "conversion_drop"]
        );
    }
}
