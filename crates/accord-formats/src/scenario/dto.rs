//! The scenario file as written: serde types that mirror the TOML layout one to
//! one. Conversion into the core model happens in `convert`.

use std::fmt;

use accord_core::model::{PhaseKind, Role, Weighting};
use serde::Deserialize;
use serde::de::{self, MapAccess, SeqAccess, Visitor};

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct FileDto {
    pub negotiation: NegotiationDto,
    #[serde(default)]
    pub party: Vec<PartyDto>,
    #[serde(default)]
    pub issue: Vec<IssueDto>,
    #[serde(default)]
    pub provision: Vec<ProvisionDto>,
    #[serde(default)]
    pub constraint: Vec<ConditionalDto>,
    #[serde(default)]
    pub phase: Vec<PhaseDto>,
    #[serde(default)]
    pub profile: Entries<ProfileDto>,
    #[serde(default)]
    pub stance: Vec<StanceDto>,
    /// `[privacy]`: blind mediation and the stance-count threshold.
    #[serde(default)]
    pub privacy: Option<accord_core::model::Privacy>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct NegotiationDto {
    pub id: String,
    pub title: String,
    #[serde(default)]
    pub description: String,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct PartyDto {
    pub id: String,
    pub name: String,
    pub role: Role,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct IssueDto {
    pub id: String,
    pub title: String,
    pub options: Option<Vec<OptionDto>>,
    pub range: Option<RangeDto>,
    pub draft: Option<Scalar>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct OptionDto {
    pub id: String,
    /// Defaults to the id.
    pub label: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RangeDto {
    pub min: Number,
    pub max: Number,
    pub step: Number,
    pub unit: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct ProvisionDto {
    pub id: String,
    pub number: Scalar,
    #[serde(default)]
    pub heading: String,
    pub text: String,
    #[serde(default)]
    pub wording: Entries<Entries<String>>,
}

/// Constraints: `when` conditions imply `then` conditions.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct ConditionalDto {
    pub id: String,
    pub description: Option<String>,
    #[serde(default)]
    pub when: Vec<ConditionDto>,
    #[serde(default)]
    pub then: Vec<ConditionDto>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct ConditionDto {
    pub issue: String,
    pub is: Option<OneOrMany>,
    pub at_least: Option<f64>,
    pub at_most: Option<f64>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct PhaseDto {
    pub id: String,
    pub name: String,
    pub kind: PhaseKind,
    pub start: toml::value::Datetime,
    pub end: toml::value::Datetime,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct ProfileDto {
    #[serde(default)]
    pub illustrative: bool,
    #[serde(default)]
    pub reservation: f64,
    #[serde(default)]
    pub weighting: Weighting,
    pub discount_factor: Option<f64>,
    #[serde(default)]
    pub weights: Entries<f64>,
    #[serde(default)]
    pub ratings: Entries<Entries<RatingEntry>>,
    #[serde(default)]
    pub red_lines: Vec<ConditionDto>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub(crate) enum PositionName {
    Acceptable,
    AcceptableIf,
    Unacceptable,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct StanceDto {
    pub party: String,
    pub provision: String,
    pub position: PositionName,
    pub conditions: Option<Vec<ConditionDto>>,
    pub reason: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct LinearDto {
    pub offset: f64,
    pub slope: f64,
    pub origin: f64,
}

/// A table's entries in the order written (the scenario's order is meaningful:
/// wordings, weights and ratings are shown as the author listed them).
#[derive(Debug)]
pub(crate) struct Entries<T>(pub Vec<(String, T)>);

impl<T> Default for Entries<T> {
    fn default() -> Self {
        Entries(Vec::new())
    }
}

impl<'de, T: Deserialize<'de>> Deserialize<'de> for Entries<T> {
    fn deserialize<D: de::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct EntriesVisitor<T>(std::marker::PhantomData<T>);
        impl<'de, T: Deserialize<'de>> Visitor<'de> for EntriesVisitor<T> {
            type Value = Entries<T>;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a table")
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
                let mut out = Vec::new();
                while let Some((key, value)) = map.next_entry::<String, T>()? {
                    out.push((key, value));
                }
                Ok(Entries(out))
            }
        }
        deserializer.deserialize_map(EntriesVisitor(std::marker::PhantomData))
    }
}

/// A number that remembers whether it was written as a TOML integer.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) enum Number {
    Integer(i64),
    Float(f64),
}

impl Number {
    pub fn value(self) -> f64 {
        match self {
            Number::Integer(i) => i as f64,
            Number::Float(x) => x,
        }
    }
}

impl<'de> Deserialize<'de> for Number {
    fn deserialize<D: de::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct NumberVisitor;
        impl Visitor<'_> for NumberVisitor {
            type Value = Number;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a number")
            }
            fn visit_i64<E: de::Error>(self, v: i64) -> Result<Number, E> {
                Ok(Number::Integer(v))
            }
            fn visit_u64<E: de::Error>(self, v: u64) -> Result<Number, E> {
                integer_from_u64(v)
            }
            fn visit_f64<E: de::Error>(self, v: f64) -> Result<Number, E> {
                Ok(Number::Float(v))
            }
        }
        deserializer.deserialize_any(NumberVisitor)
    }
}

/// A value written as a string or a number: a draft (`"freeze"` or `600000`),
/// a provision number (`"7.2"` or `7`), an entry of `is = [...]`.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Scalar {
    Text(String),
    Number(Number),
}

impl<'de> Deserialize<'de> for Scalar {
    fn deserialize<D: de::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct ScalarVisitor;
        impl Visitor<'_> for ScalarVisitor {
            type Value = Scalar;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a string or a number")
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<Scalar, E> {
                Ok(Scalar::Text(v.to_string()))
            }
            fn visit_i64<E: de::Error>(self, v: i64) -> Result<Scalar, E> {
                Ok(Scalar::Number(Number::Integer(v)))
            }
            fn visit_u64<E: de::Error>(self, v: u64) -> Result<Scalar, E> {
                integer_from_u64(v).map(Scalar::Number)
            }
            fn visit_f64<E: de::Error>(self, v: f64) -> Result<Scalar, E> {
                Ok(Scalar::Number(Number::Float(v)))
            }
        }
        deserializer.deserialize_any(ScalarVisitor)
    }
}

/// TOML integers are 64-bit signed; a larger one cannot be written, but a
/// deserializer may still hand one over as `u64`.
fn integer_from_u64<E: de::Error>(v: u64) -> Result<Number, E> {
    i64::try_from(v).map(Number::Integer).map_err(|_| E::custom("integer too large"))
}

/// `is = "x"` or `is = ["x", "y"]` (numbers allowed for numeric issues).
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct OneOrMany(pub Vec<Scalar>);

impl<'de> Deserialize<'de> for OneOrMany {
    fn deserialize<D: de::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct OneOrManyVisitor;
        impl<'de> Visitor<'de> for OneOrManyVisitor {
            type Value = OneOrMany;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("an option id or a list of them")
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<OneOrMany, E> {
                Ok(OneOrMany(vec![Scalar::Text(v.to_string())]))
            }
            fn visit_i64<E: de::Error>(self, v: i64) -> Result<OneOrMany, E> {
                Ok(OneOrMany(vec![Scalar::Number(Number::Integer(v))]))
            }
            fn visit_u64<E: de::Error>(self, v: u64) -> Result<OneOrMany, E> {
                integer_from_u64(v).map(|n| OneOrMany(vec![Scalar::Number(n)]))
            }
            fn visit_f64<E: de::Error>(self, v: f64) -> Result<OneOrMany, E> {
                Ok(OneOrMany(vec![Scalar::Number(Number::Float(v))]))
            }
            fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<OneOrMany, A::Error> {
                let mut out = Vec::new();
                while let Some(item) = seq.next_element::<Scalar>()? {
                    out.push(item);
                }
                Ok(OneOrMany(out))
            }
        }
        deserializer.deserialize_any(OneOrManyVisitor)
    }
}

/// One entry of a `[profile.P.ratings.ISSUE]` table: an option's rating, the
/// `points` of a piecewise rating, or the `linear` parameters.
#[derive(Debug)]
pub(crate) enum RatingEntry {
    Number(f64),
    Points(Vec<(f64, f64)>),
    Linear(LinearDto),
}

impl<'de> Deserialize<'de> for RatingEntry {
    fn deserialize<D: de::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct RatingVisitor;
        impl<'de> Visitor<'de> for RatingVisitor {
            type Value = RatingEntry;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a rating 0–1, a list of [value, rating] points, or { offset, slope, origin }")
            }
            fn visit_i64<E: de::Error>(self, v: i64) -> Result<RatingEntry, E> {
                Ok(RatingEntry::Number(v as f64))
            }
            fn visit_u64<E: de::Error>(self, v: u64) -> Result<RatingEntry, E> {
                Ok(RatingEntry::Number(v as f64))
            }
            fn visit_f64<E: de::Error>(self, v: f64) -> Result<RatingEntry, E> {
                Ok(RatingEntry::Number(v))
            }
            fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<RatingEntry, A::Error> {
                let mut out = Vec::new();
                while let Some(Point(x, r)) = seq.next_element::<Point>()? {
                    out.push((x, r));
                }
                Ok(RatingEntry::Points(out))
            }
            fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<RatingEntry, A::Error> {
                LinearDto::deserialize(de::value::MapAccessDeserializer::new(map)).map(RatingEntry::Linear)
            }
        }
        deserializer.deserialize_any(RatingVisitor)
    }
}

/// A `[value, rating]` pair of a piecewise rating; exactly two numbers.
struct Point(f64, f64);

impl<'de> Deserialize<'de> for Point {
    fn deserialize<D: de::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct PointVisitor;
        impl<'de> Visitor<'de> for PointVisitor {
            type Value = Point;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a [value, rating] pair")
            }
            fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Point, A::Error> {
                let x = seq.next_element::<f64>()?;
                let r = seq.next_element::<f64>()?;
                let extra = seq.next_element::<de::IgnoredAny>()?;
                match (x, r, extra) {
                    (Some(x), Some(r), None) => Ok(Point(x, r)),
                    _ => Err(de::Error::custom("a point is a [value, rating] pair of two numbers")),
                }
            }
        }
        deserializer.deserialize_seq(PointVisitor)
    }
}
