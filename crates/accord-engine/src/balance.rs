//! Who gains what from each provision.
