//! The demo sale's catalog: channels, ~50 stores, ~2,000 SKUs with Chinese
//! and English names, prices, costs, targets and stock.

use super::rng::{Rng, Zipf};
use crate::config::{ChannelDef, SkuDef, StoreDef};

/// A catalog plus what the traffic model needs that config does not hold.
#[derive(Debug, Clone)]
pub struct DemoCatalog {
    pub channels: Vec<ChannelDef>,
    pub stores: Vec<StoreDef>,
    pub skus: Vec<SkuDef>,
    /// Each SKU's list price in minor units, same order as `skus`.
    pub prices: Vec<i64>,
}

const CHANNELS: &[(&str, &str, f64)] = &[
    ("tmall", "天猫 Tmall", 0.40),
    ("jd", "京东 JD", 0.25),
    ("douyin", "抖音 Douyin", 0.18),
    ("pdd", "拼多多 PDD", 0.10),
    ("wechat", "微信小程序 WeChat", 0.07),
];

const STORE_KINDS: &[&str] = &["旗舰店", "官方店", "专卖店", "直播间", "折扣店"];
const CITIES: &[&str] = &[
    "上海", "北京", "杭州", "深圳", "广州", "成都", "武汉", "南京", "西安", "重庆",
];

/// (Chinese, English, list price in yuan).
const PRODUCTS: &[(&str, &str, f64)] = &[
    ("保温杯", "Insulated Cup", 99.5),
    ("羽绒服", "Down Jacket", 899.0),
    ("运动鞋", "Running Shoes", 459.0),
    ("蓝牙耳机", "Bluetooth Earbuds", 299.0),
    ("扫地机器人", "Robot Vacuum", 1999.0),
    ("面霜", "Face Cream", 329.9),
    ("口红", "Lipstick", 189.0),
    ("洗衣液", "Laundry Detergent", 49.9),
    ("纸巾", "Tissues", 29.9),
    ("坚果礼盒", "Nut Gift Box", 128.0),
    ("咖啡豆", "Coffee Beans", 88.8),
    ("空气炸锅", "Air Fryer", 399.0),
    ("电动牙刷", "Electric Toothbrush", 259.0),
    ("机械键盘", "Mechanical Keyboard", 549.0),
    ("手机壳", "Phone Case", 19.9),
    ("行李箱", "Suitcase", 699.0),
    ("瑜伽垫", "Yoga Mat", 79.0),
    ("婴儿纸尿裤", "Baby Diapers", 139.0),
    ("猫粮", "Cat Food", 159.0),
    ("智能手表", "Smart Watch", 1299.0),
];

const VARIANTS: &[(&str, &str)] = &[
    ("黑色", "Black"),
    ("白色", "White"),
    ("红色", "Red"),
    ("蓝色", "Blue"),
    ("灰色", "Grey"),
    ("粉色", "Pink"),
    ("绿色", "Green"),
    ("金色", "Gold"),
    ("S", "S"),
    ("M", "M"),
];

/// Builds the demo catalog. `sku_count` SKUs over `store_count` stores;
/// `daily_units` estimates units per SKU rank so some SKUs sell out early.
pub fn demo_catalog(seed: u64, store_count: usize, sku_count: usize) -> DemoCatalog {
    let mut rng = Rng::new(seed);
    let channels = CHANNELS
        .iter()
        .map(|&(id, name, _)| ChannelDef {
            id: id.into(),
            name: name.into(),
            target: None,
            profit_target: None,
            budget: None,
        })
        .collect();
    let stores = (0..store_count)
        .map(|i| {
            let ch = CHANNELS[i % CHANNELS.len()];
            let city = CITIES[(i / CHANNELS.len()) % CITIES.len()];
            let kind = STORE_KINDS[rng.below(STORE_KINDS.len() as u64) as usize];
            StoreDef {
                id: format!("s{:04}", i + 1),
                name: format!("{}{}{}", ch.1.split(' ').next().unwrap_or(""), city, kind),
                channel: Some(ch.0.into()),
                target: None,
                profit_target: None,
            }
        })
        .collect();
    let mut skus = Vec::with_capacity(sku_count);
    let mut prices = Vec::with_capacity(sku_count);
    for i in 0..sku_count {
        let (zh, en, base) = PRODUCTS[i % PRODUCTS.len()];
        let (vzh, ven) = VARIANTS[(i / PRODUCTS.len()) % VARIANTS.len()];
        let batch = i / (PRODUCTS.len() * VARIANTS.len());
        // Prices vary ±20 % by variant, rounded to fen.
        let price = ((base * (0.8 + 0.4 * rng.f64())) * 100.0).round() as i64;
        let cost = price * (55 + rng.below(20) as i64) / 100;
        let suffix = if batch > 0 {
            format!(" #{}", batch + 1)
        } else {
            String::new()
        };
        skus.push(SkuDef {
            id: format!("k{:06}", i + 1),
            name: format!("{zh} {vzh} {en} {ven}{suffix}"),
            stock: None,
            target_units: None,
            cost: Some(cost),
            low_stock: None,
            // The tag price the sale's price is cut from (a 20 % discount,
            // to the yuan), and a 35 % standard margin that the dearer-cost
            // variants miss: the demo's report has discount depth and a
            // below-standard-margin list to show.
            list_price: Some((price * 125 / 100 + 50) / 100 * 100),
            standard_margin: Some(0.35),
        });
        prices.push(price);
    }
    DemoCatalog {
        channels,
        stores,
        skus,
        prices,
    }
}

/// The popularity model shared by catalog sizing and traffic.
pub fn store_zipf(n: usize) -> Zipf {
    Zipf::new(n, 1.0)
}

pub fn sku_zipf(n: usize) -> Zipf {
    Zipf::new(n, 1.1)
}
