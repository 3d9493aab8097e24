//! Finite domains. Every IR value is a *value index* `0..size` into its node's domain; the domain
//! says what the index means (a bool, an integer `lo + index`, or an enum variant).

use std::fmt;

#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum DomainKind {
    /// `false` = 0, `true` = 1.
    Bool,
    /// The integers `lo .. lo + size`.
    Range { lo: i64 },
    /// Variants in declaration order.
    Enum { name: String, variants: Vec<String> },
}

#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Domain {
    pub kind: DomainKind,
    pub size: u32,
}

/// Index of a domain in [`crate::Graph::domains`].
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct DomainId(pub u32);

impl Domain {
    pub fn bool() -> Domain {
        Domain {
            kind: DomainKind::Bool,
            size: 2,
        }
    }
    /// The integers `lo..hi` (hi exclusive); `hi > lo` is the caller's duty.
    pub fn range(lo: i64, hi: i64) -> Domain {
        Domain {
            kind: DomainKind::Range { lo },
            // Callers refuse ranges wider than their limits; a truncated size would be wrong.
            size: u32::try_from(hi - lo).expect("a domain of at most 2^32 values"),
        }
    }
    pub fn enumeration(name: impl Into<String>, variants: Vec<String>) -> Domain {
        let size = variants.len() as u32;
        Domain {
            kind: DomainKind::Enum {
                name: name.into(),
                variants,
            },
            size,
        }
    }
    pub fn is_bool(&self) -> bool {
        matches!(self.kind, DomainKind::Bool)
    }
    /// The integer meaning of a value index, for `Range` domains (bools: 0/1; enums: the index).
    pub fn int_of(&self, v: u32) -> i64 {
        match self.kind {
            DomainKind::Range { lo } => lo + v as i64,
            _ => v as i64,
        }
    }
    /// The value index of an integer in a `Range`/`Bool` domain, if it is in the domain.
    pub fn index_of_int(&self, x: i64) -> Option<u32> {
        let lo = match self.kind {
            DomainKind::Range { lo } => lo,
            DomainKind::Bool => 0,
            DomainKind::Enum { .. } => return None,
        };
        let i = x.checked_sub(lo)?;
        (0..self.size as i64).contains(&i).then_some(i as u32)
    }
    /// How a value index is written in programs and hole files.
    pub fn show(&self, v: u32) -> String {
        match &self.kind {
            DomainKind::Bool => (if v == 0 { "false" } else { "true" }).to_string(),
            DomainKind::Range { lo } => (lo + v as i64).to_string(),
            DomainKind::Enum { variants, .. } => variants
                .get(v as usize)
                .cloned()
                .unwrap_or_else(|| format!("#{v}")),
        }
    }
}

impl fmt::Display for Domain {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.kind {
            DomainKind::Bool => write!(f, "bool"),
            DomainKind::Range { lo } => write!(f, "{}..{}", lo, lo + self.size as i64),
            DomainKind::Enum { name, .. } => write!(f, "{name}"),
        }
    }
}
