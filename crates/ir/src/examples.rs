//! Examples as columns: one vector of values per input slot and per output slot, so that the
//! evaluator runs every node over all examples in one sweep.

/// The examples of one sketch, already checked against its input and output domains.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Examples {
    /// `inputs[slot][example]`: value index of input slot `slot` (see `Graph::inputs`).
    pub inputs: Vec<Vec<u32>>,
    /// `expected[output][example]`: the expected value index, `None` for don't care.
    pub expected: Vec<Vec<Option<u32>>>,
    /// Where each example came from ("swap.wft:31:5", "data.jsonl:7"), for messages.
    pub origins: Vec<String>,
}

impl Examples {
    /// The number of examples.
    pub fn len(&self) -> usize {
        self.origins.len()
    }
    pub fn is_empty(&self) -> bool {
        self.origins.is_empty()
    }
    /// An empty set of examples for a graph with `inputs` input slots and `outputs` outputs.
    pub fn with_slots(inputs: usize, outputs: usize) -> Examples {
        Examples {
            inputs: vec![Vec::new(); inputs],
            expected: vec![Vec::new(); outputs],
            origins: Vec::new(),
        }
    }
    /// Appends one example (its slot values in slot order).
    pub fn push(&mut self, inputs: &[u32], expected: &[Option<u32>], origin: impl Into<String>) {
        debug_assert_eq!(inputs.len(), self.inputs.len());
        debug_assert_eq!(expected.len(), self.expected.len());
        for (col, &v) in self.inputs.iter_mut().zip(inputs) {
            col.push(v);
        }
        for (col, &v) in self.expected.iter_mut().zip(expected) {
            col.push(v);
        }
        self.origins.push(origin.into());
    }
    /// The examples at the given positions (for train/held-out splits and re-weighting).
    pub fn select(&self, which: &[usize]) -> Examples {
        Examples {
            inputs: self
                .inputs
                .iter()
                .map(|c| which.iter().map(|&i| c[i]).collect())
                .collect(),
            expected: self
                .expected
                .iter()
                .map(|c| which.iter().map(|&i| c[i]).collect())
                .collect(),
            origins: which.iter().map(|&i| self.origins[i].clone()).collect(),
        }
    }
}

/// A value for every hole, indexed by `HoleId`.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Default)]
pub struct Assignment(pub Vec<u32>);
