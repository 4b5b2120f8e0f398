//! A webhook receiver for the outbox benchmark (bench/outbox.sh): answers every POST with 204
//! and, on standard input's end (or SIGTERM), prints how many it received and how many distinct
//! `webhook-id`s.
//!
//! Usage: `webhook-sink PORT`

#![allow(clippy::print_stdout, clippy::unwrap_used, clippy::expect_used, reason = "a command-line benchmark that fails loudly")]

use std::collections::HashSet;
use std::sync::{Arc, Mutex};

use actix_web::{web, App, HttpRequest, HttpResponse, HttpServer};

#[actix_web::main]
async fn main() -> std::io::Result<()> {
    let port: u16 = std::env::args().nth(1).expect("webhook-sink PORT").parse().expect("a port");
    let seen: Arc<Mutex<(u64, HashSet<String>)>> = Arc::default();
    let s = seen.clone();
    let server = HttpServer::new(move || {
        let s = s.clone();
        App::new().default_service(web::to(move |req: HttpRequest, _body: web::Bytes| {
            let s = s.clone();
            async move {
                let id = req.headers().get("webhook-id").and_then(|v| v.to_str().ok()).unwrap_or_default().to_owned();
                let mut g = s.lock().unwrap();
                g.0 += 1;
                g.1.insert(id);
                HttpResponse::NoContent().finish()
            }
        }))
    })
    .workers(1)
    .bind(("127.0.0.1", port))?
    .run();
    server.await?;
    let g = seen.lock().unwrap();
    println!("received {} deliveries, {} distinct webhook-ids", g.0, g.1.len());
    Ok(())
}
