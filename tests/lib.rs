//! Shared test support lives in the integration binary; this crate only hosts it.
