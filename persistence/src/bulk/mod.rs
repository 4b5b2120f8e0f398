//! Bulk loading with PostgreSQL's COPY (text format), for synthetic demo networks. diesel-async
//! has no COPY, so this speaks to the server through tokio-postgres directly.
//!
//! What is loaded is declared in [`tables`]: one record type per table, each column's name and
//! value side by side, so that rows cannot be written in another order than their columns.

use std::fmt::Display;

use bytes::Bytes;
use futures_util::SinkExt;
use tokio_postgres::{Client, NoTls};

use crate::StoreError;

pub mod tables;

pub use tables::{CopyTable, Rows};

fn unavailable(e: &tokio_postgres::Error) -> StoreError {
    if e.is_closed() {
        StoreError::Unavailable
    } else {
        // Keep the server's SQLSTATE only: its message may quote a value.
        StoreError::internal(format!("bulk load failed (SQLSTATE {})", e.code().map_or("unknown", |c| c.code())))
    }
}

/// Rows for one table in COPY's text format.
#[derive(Debug, Default)]
pub struct CopyRows {
    buf: Vec<u8>,
    first_in_row: bool,
    rows: u64,
}

impl CopyRows {
    pub fn new() -> Self {
        CopyRows { buf: Vec::with_capacity(1 << 20), first_in_row: true, rows: 0 }
    }

    fn sep(&mut self) {
        if !self.first_in_row {
            self.buf.push(b'\t');
        }
        self.first_in_row = false;
    }

    /// A text value, escaped for COPY.
    pub fn text(&mut self, value: &str) -> &mut Self {
        self.sep();
        for b in value.bytes() {
            match b {
                b'\\' => self.buf.extend_from_slice(b"\\\\"),
                b'\t' => self.buf.extend_from_slice(b"\\t"),
                b'\n' => self.buf.extend_from_slice(b"\\n"),
                b'\r' => self.buf.extend_from_slice(b"\\r"),
                b => self.buf.push(b),
            }
        }
        self
    }

    /// Any value whose text form needs no escaping (numbers, dates, UUIDs, booleans, instants).
    pub fn value(&mut self, value: impl Display) -> &mut Self {
        use std::io::Write;
        self.sep();
        let _ = write!(self.buf, "{value}");
        self
    }

    pub fn null(&mut self) -> &mut Self {
        self.sep();
        self.buf.extend_from_slice(b"\\N");
        self
    }

    pub fn opt_text(&mut self, value: Option<&str>) -> &mut Self {
        match value {
            Some(v) => self.text(v),
            None => self.null(),
        }
    }

    pub fn opt_value(&mut self, value: Option<impl Display>) -> &mut Self {
        match value {
            Some(v) => self.value(v),
            None => self.null(),
        }
    }

    /// A text array of plain words (codes and names without quotes, commas or backslashes).
    pub fn words(&mut self, words: &[&str]) -> &mut Self {
        self.sep();
        self.buf.push(b'{');
        for (i, w) in words.iter().enumerate() {
            if i > 0 {
                self.buf.push(b',');
            }
            self.buf.push(b'"');
            self.buf.extend(w.bytes().filter(|b| !matches!(b, b'"' | b'\\' | b'\t' | b'\n' | b'\r')));
            self.buf.push(b'"');
        }
        self.buf.push(b'}');
        self
    }

    pub fn end_row(&mut self) {
        self.buf.push(b'\n');
        self.first_in_row = true;
        self.rows += 1;
    }

    pub fn rows(&self) -> u64 {
        self.rows
    }

    fn take(&mut self) -> Bytes {
        self.rows = 0;
        Bytes::from(std::mem::take(&mut self.buf))
    }
}

/// One connection for a bulk load.
pub struct BulkLoader {
    client: Client,
    connection: tokio::task::JoinHandle<()>,
}

impl BulkLoader {
    pub async fn connect(url: &str) -> Result<Self, StoreError> {
        let (client, connection) = tokio_postgres::connect(url, NoTls).await.map_err(|e| unavailable(&e))?;
        let connection = tokio::spawn(async move {
            if let Err(e) = connection.await {
                tracing::warn!(error = %unavailable(&e), "bulk load connection ended");
            }
        });
        Ok(BulkLoader { client, connection })
    }

    /// Runs statements (no parameters).
    pub async fn execute(&self, sql: &str) -> Result<(), StoreError> {
        self.client.batch_execute(sql).await.map_err(|e| unavailable(&e))
    }

    /// The first column of the first row of `sql`, as a 64-bit integer.
    pub async fn count(&self, sql: &str) -> Result<i64, StoreError> {
        let row = self.client.query_one(sql, &[]).await.map_err(|e| unavailable(&e))?;
        row.try_get::<_, i64>(0).map_err(|e| unavailable(&e))
    }

    /// Rows of two text columns.
    pub async fn pairs(&self, sql: &str) -> Result<Vec<(String, String)>, StoreError> {
        let rows = self.client.query(sql, &[]).await.map_err(|e| unavailable(&e))?;
        rows.iter().map(|r| Ok((r.try_get(0).map_err(|e| unavailable(&e))?, r.try_get(1).map_err(|e| unavailable(&e))?))).collect()
    }

    /// Copies the rows of one table, emptying them; returns how many.
    pub async fn load<T: CopyTable>(&self, rows: &mut Rows<T>) -> Result<u64, StoreError> {
        self.copy(T::TABLE, T::COLUMNS, &mut rows.rows).await
    }

    /// Copies `rows` into `table` (`columns` in the order the rows were written), emptying them.
    async fn copy(&self, table: &str, columns: &[&str], rows: &mut CopyRows) -> Result<u64, StoreError> {
        if rows.rows() == 0 {
            return Ok(0);
        }
        let statement = format!("COPY {table} ({}) FROM STDIN", columns.join(", "));
        let sink = self.client.copy_in::<_, Bytes>(&statement).await.map_err(|e| unavailable(&e))?;
        futures_util::pin_mut!(sink);
        sink.send(rows.take()).await.map_err(|e| unavailable(&e))?;
        sink.as_mut().finish().await.map_err(|e| unavailable(&e))
    }
}

impl Drop for BulkLoader {
    fn drop(&mut self) {
        self.connection.abort();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn copy_text_is_escaped() {
        let mut r = CopyRows::new();
        r.text("a\tb\\c\nd").value(42).null().words(&["GB", "R\"O"]).opt_text(None).end_row();
        assert_eq!(String::from_utf8_lossy(&r.buf), "a\\tb\\\\c\\nd\t42\t\\N\t{\"GB\",\"RO\"}\t\\N\n");
        assert_eq!(r.rows(), 1);
    }
}
