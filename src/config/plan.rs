//! The plan curve: how much of the target the sale should have by when.
//!
//! A piecewise-linear map from share of sale time to share of target,
//! e.g. `[[0,0],[0.04,0.30],[1,1]]` says 30 % of the target is expected in
//! the first 4 % of the day (the midnight rush). Pace and the projection read
//! it; without one the plan is the straight line.

/// Validated plan points: x strictly rising from 0 to 1, y rising to 1.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct Plan {
    points: Vec<(f64, f64)>,
}

impl Default for Plan {
    fn default() -> Plan {
        Plan {
            points: vec![(0.0, 0.0), (1.0, 1.0)],
        }
    }
}

impl Plan {
    /// Checks the points; the error says which rule they break.
    pub fn new(points: Vec<(f64, f64)>) -> Result<Plan, String> {
        if points.len() < 2 {
            return Err("plan needs at least two points".into());
        }
        for (i, &(x, y)) in points.iter().enumerate() {
            if !(0.0..=1.0).contains(&x) || !(0.0..=1.0).contains(&y) {
                return Err(format!("plan[{i}]: both shares must be between 0 and 1"));
            }
            if i > 0 {
                let (px, py) = points[i - 1];
                if x <= px {
                    return Err(format!("plan[{i}]: time shares must strictly increase"));
                }
                if y < py {
                    return Err(format!("plan[{i}]: target shares must not decrease"));
                }
            }
        }
        if points[0].0 != 0.0 {
            return Err("plan[0]: the first point must be at time share 0".into());
        }
        let last = points[points.len() - 1];
        if last.0 != 1.0 || last.1 != 1.0 {
            return Err("plan: the last point must be [1.0, 1.0]".into());
        }
        Ok(Plan { points })
    }

    /// Expected share of the target at time share `x` (0..=1).
    pub fn share_at(&self, x: f64) -> f64 {
        let x = x.clamp(0.0, 1.0);
        for w in self.points.windows(2) {
            let ((x0, y0), (x1, y1)) = (w[0], w[1]);
            if x <= x1 {
                return y0 + (y1 - y0) * (x - x0) / (x1 - x0);
            }
        }
        1.0
    }

    pub fn points(&self) -> &[(f64, f64)] {
        &self.points
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn interpolates_between_points() {
        let p = Plan::new(vec![(0.0, 0.0), (0.04, 0.30), (1.0, 1.0)]).expect("valid");
        assert!((p.share_at(0.02) - 0.15).abs() < 1e-12);
        assert!((p.share_at(0.04) - 0.30).abs() < 1e-12);
        assert!((p.share_at(0.52) - 0.65).abs() < 1e-12);
        assert_eq!(p.share_at(2.0), 1.0);
        assert_eq!(Plan::default().share_at(0.25), 0.25);
    }

    #[test]
    fn refuses_bad_curves() {
        assert!(Plan::new(vec![(0.0, 0.0)]).is_err());
        assert!(Plan::new(vec![(0.0, 0.0), (0.5, 0.6), (0.4, 0.7), (1.0, 1.0)]).is_err());
        assert!(Plan::new(vec![(0.0, 0.0), (0.5, 0.6), (0.7, 0.5), (1.0, 1.0)]).is_err());
        assert!(Plan::new(vec![(0.1, 0.0), (1.0, 1.0)]).is_err());
        assert!(Plan::new(vec![(0.0, 0.0), (1.0, 0.9)]).is_err());
    }
}
