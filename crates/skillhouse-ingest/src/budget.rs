//! The batch-wide budget of decompressed workbook bytes: XLSX files are read in parallel, and each within the
//! per-file limits can still expand to gigabytes, so four large workbooks read at once took 5.6–7.9 GB. A reader
//! takes its workbook's declared uncompressed size from the budget before opening it and gives it back when the
//! workbook is parsed and validated; a workbook that does not fit waits until others are done. No file is refused
//! or put off to another night for the budget: only how many are decompressed at once changes, and results never
//! depend on it (files are committed in path order whatever order they were read in).

use std::sync::{Condvar, Mutex, PoisonError};

/// Decompressed bytes the readers of one batch may hold at once.
#[derive(Debug)]
pub(crate) struct WorkbookBudget {
    limit: u64,
    used: Mutex<u64>,
    freed: Condvar,
}

/// A share of the budget, given back when dropped (also when a reader panics).
#[derive(Debug)]
pub(crate) struct BudgetShare<'a> {
    budget: &'a WorkbookBudget,
    bytes: u64,
}

impl WorkbookBudget {
    /// A budget of `limit` bytes.
    pub(crate) fn new(limit: u64) -> Self {
        Self { limit: limit.max(1), used: Mutex::new(0), freed: Condvar::new() }
    }

    /// Takes `bytes` from the budget, waiting while others hold too much of it. A workbook larger than the whole
    /// budget (possible only when the budget is set below the per-file limit) waits until it is alone, then goes.
    pub(crate) fn take(&self, bytes: u64) -> BudgetShare<'_> {
        let bytes = bytes.min(self.limit);
        let mut used = self.used.lock().unwrap_or_else(PoisonError::into_inner);
        while *used > 0 && *used + bytes > self.limit {
            used = self.freed.wait(used).unwrap_or_else(PoisonError::into_inner);
        }
        *used += bytes;
        BudgetShare { budget: self, bytes }
    }

    /// Bytes held now.
    #[cfg(test)]
    fn used(&self) -> u64 {
        *self.used.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

impl Drop for BudgetShare<'_> {
    fn drop(&mut self) {
        let mut used = self.budget.used.lock().unwrap_or_else(PoisonError::into_inner);
        *used -= self.bytes;
        self.budget.freed.notify_all();
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::{AtomicU64, Ordering};

    #[test]
    fn never_more_than_the_budget_at_once() {
        let budget = WorkbookBudget::new(100);
        let peak = AtomicU64::new(0);
        std::thread::scope(|scope| {
            for size in [60u64, 60, 30, 90, 10, 100, 500] {
                let (budget, peak) = (&budget, &peak);
                scope.spawn(move || {
                    let _share = budget.take(size);
                    peak.fetch_max(budget.used(), Ordering::SeqCst);
                    std::thread::sleep(std::time::Duration::from_millis(5));
                });
            }
        });
        assert!(peak.load(Ordering::SeqCst) <= 100, "peak {}", peak.load(Ordering::SeqCst));
        assert_eq!(budget.used(), 0, "every share given back");
    }
}
