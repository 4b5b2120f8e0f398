//! A PostgreSQL cluster that FourthP manages itself, for running without `DATABASE_URL`.
//!
//! Uses the PostgreSQL server binaries installed on the machine (no downloads): `initdb` on first
//! use, `pg_ctl start` on a free loopback port with Unix sockets off, `pg_ctl stop` on shutdown.
//! Data lives in `<data_dir>/pg` and survives restarts. The superuser `fourthp` authenticates with
//! SCRAM and a generated password kept in `<data_dir>/pg-password` (mode 0600).
//!
//! PostgreSQL refuses to run as root, so when FourthP runs as root the cluster's files and
//! processes belong to the unprivileged `postgres` user instead.
//!
//! Everything here blocks (it runs external programs): call it from a blocking thread.

use std::fs;
use std::io::{self, Read, Write};
use std::net::TcpListener;
use std::os::unix::fs::{MetadataExt, OpenOptionsExt, PermissionsExt};
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use diesel_async::{AsyncConnection, AsyncPgConnection, RunQueryDsl};

const SUPERUSER: &str = "fourthp";
const SERVICE_USER: &str = "postgres";

#[derive(Debug, thiserror::Error)]
pub enum ClusterError {
    #[error(
        "no PostgreSQL server binaries (initdb, pg_ctl) were found. Install them \
         (Debian/Ubuntu: `apt-get install postgresql`) or set DATABASE_URL to an existing server"
    )]
    NoBinaries,
    #[error("running as root, and there is no unprivileged `postgres` user to own the cluster (PostgreSQL refuses to run as root); create one or run as another user")]
    NoServiceUser,
    #[error("{what}: {source}")]
    Io { what: String, source: io::Error },
    #[error("{program} failed ({status}); its log follows:\n{log}")]
    Command { program: String, status: String, log: String },
    #[error("cannot create the database {0}")]
    CreateDatabase(String),
}

fn io_err(what: impl Into<String>) -> impl FnOnce(io::Error) -> ClusterError {
    let what = what.into();
    move |source| ClusterError::Io { what, source }
}

/// A running local cluster.
#[derive(Debug)]
pub struct LocalCluster {
    bindir: PathBuf,
    pgdata: PathBuf,
    run_as: Option<(u32, u32)>,
    port: u16,
    password: String,
    /// Whether this process started the server (and so should stop it).
    started_here: bool,
}

impl LocalCluster {
    /// Initialises the cluster in `data_dir/pg` if needed and starts it, or attaches to it if it
    /// is already running. `settings` are extra `postgresql.conf` parameters for this start.
    pub fn start(data_dir: &Path, settings: &[(&str, &str)]) -> Result<Self, ClusterError> {
        Self::start_on(data_dir, settings, None)
    }

    /// Like [`start`](Self::start), on a given loopback port (None: a free one).
    pub fn start_on(data_dir: &Path, settings: &[(&str, &str)], port: Option<u16>) -> Result<Self, ClusterError> {
        let bindir = find_bindir().ok_or(ClusterError::NoBinaries)?;
        let run_as = if effective_uid_is_root() { Some(service_user().ok_or(ClusterError::NoServiceUser)?) } else { None };
        let data_dir = std::path::absolute(data_dir).map_err(io_err("resolving the data directory"))?;
        fs::create_dir_all(&data_dir).map_err(io_err(format!("creating {}", data_dir.display())))?;
        // The cluster's owner must be able to pass through (not list) the data directory.
        let mode = if run_as.is_some() { 0o711 } else { 0o700 };
        fs::set_permissions(&data_dir, fs::Permissions::from_mode(mode)).map_err(io_err("securing the data directory"))?;
        let password = read_or_create_secret(&data_dir.join("pg-password"))?;
        let pgdata = data_dir.join("pg");
        let mut cluster = LocalCluster { bindir, pgdata, run_as, port: 0, password, started_here: false };
        if !cluster.pgdata.join("PG_VERSION").exists() {
            cluster.init(&data_dir)?;
        }
        if let Some(port) = cluster.running_port() {
            cluster.port = port;
            return Ok(cluster);
        }
        cluster.port = match port {
            Some(p) => p,
            None => free_port().map_err(io_err("finding a free port"))?,
        };
        let mut options = format!("-c port={} -c listen_addresses=127.0.0.1 -c unix_socket_directories=''", cluster.port);
        for (k, v) in settings {
            options.push_str(&format!(" -c {k}={v}"));
        }
        let log = cluster.pgdata.join("server.log");
        let pgdata = cluster.pgdata.display().to_string();
        let log_arg = log.display().to_string();
        cluster.run("pg_ctl", &["start", "-w", "-t", "120", "-D", &pgdata, "-l", &log_arg, "-o", &options], Some(&log))?;
        cluster.started_here = true;
        Ok(cluster)
    }

    /// A streaming replica of `primary` (a hot standby: read-only, replaying the primary's WAL),
    /// made with `pg_basebackup -R` into `data_dir/pg` unless already there, and started on a free
    /// port with `settings`.
    pub fn start_replica_of(primary: &LocalCluster, data_dir: &Path, settings: &[(&str, &str)]) -> Result<Self, ClusterError> {
        let data_dir = std::path::absolute(data_dir).map_err(io_err("resolving the replica's data directory"))?;
        fs::create_dir_all(&data_dir).map_err(io_err(format!("creating {}", data_dir.display())))?;
        let mode = if primary.run_as.is_some() { 0o711 } else { 0o700 };
        fs::set_permissions(&data_dir, fs::Permissions::from_mode(mode)).map_err(io_err("securing the replica's data directory"))?;
        // The same superuser and password: a physical copy has the primary's roles.
        write_private(&data_dir.join("pg-password"), &primary.password)?;
        let pgdata = data_dir.join("pg");
        if !pgdata.join("PG_VERSION").exists() {
            fs::create_dir_all(&pgdata).map_err(io_err("creating the replica's cluster directory"))?;
            fs::set_permissions(&pgdata, fs::Permissions::from_mode(0o700)).map_err(io_err("securing the replica's cluster directory"))?;
            if let Some((uid, gid)) = primary.run_as {
                std::os::unix::fs::chown(&pgdata, Some(uid), Some(gid)).map_err(io_err("handing the replica's directory to postgres"))?;
            }
            let copier = LocalCluster { pgdata: pgdata.clone(), port: 0, started_here: false, ..primary.clone_handle() };
            let target = pgdata.display().to_string();
            let port = primary.port.to_string();
            copier.run_env(
                "pg_basebackup",
                &["-D", &target, "-R", "-X", "stream", "-c", "fast", "-h", "127.0.0.1", "-p", &port, "-U", SUPERUSER],
                &[("PGPASSWORD", &primary.password)],
                None,
            )?;
            // The copy's own pid file and log are not the replica's.
            let _ = fs::remove_file(pgdata.join("server.log"));
        }
        Self::start_on(&data_dir, settings, None)
    }

    fn clone_handle(&self) -> LocalCluster {
        LocalCluster {
            bindir: self.bindir.clone(),
            pgdata: self.pgdata.clone(),
            run_as: self.run_as,
            port: self.port,
            password: self.password.clone(),
            started_here: false,
        }
    }

    fn init(&self, data_dir: &Path) -> Result<(), ClusterError> {
        fs::create_dir_all(&self.pgdata).map_err(io_err("creating the cluster directory"))?;
        fs::set_permissions(&self.pgdata, fs::Permissions::from_mode(0o700)).map_err(io_err("securing the cluster directory"))?;
        let pwfile = data_dir.join("pg-initdb-password");
        write_private(&pwfile, &self.password)?;
        if let Some((uid, gid)) = self.run_as {
            std::os::unix::fs::chown(&self.pgdata, Some(uid), Some(gid)).map_err(io_err("handing the cluster directory to postgres"))?;
            std::os::unix::fs::chown(&pwfile, Some(uid), Some(gid)).map_err(io_err("handing the password file to postgres"))?;
        }
        let pgdata = self.pgdata.display().to_string();
        let pw_arg = format!("--pwfile={}", pwfile.display());
        let result =
            self.run("initdb", &["-D", &pgdata, "-U", SUPERUSER, "--auth=scram-sha-256", &pw_arg, "-E", "UTF8", "--no-locale"], None);
        let _ = fs::remove_file(&pwfile);
        result
    }

    /// The port of a server already running on this data directory, if any.
    fn running_port(&self) -> Option<u16> {
        let pgdata = self.pgdata.display().to_string();
        self.run("pg_ctl", &["status", "-D", &pgdata], None).ok()?;
        let pid_file = fs::read_to_string(self.pgdata.join("postmaster.pid")).ok()?;
        pid_file.lines().nth(3)?.trim().parse().ok()
    }

    fn run(&self, program: &str, args: &[&str], log: Option<&Path>) -> Result<(), ClusterError> {
        self.run_env(program, args, &[], log)
    }

    fn run_env(&self, program: &str, args: &[&str], env: &[(&str, &str)], log: Option<&Path>) -> Result<(), ClusterError> {
        let mut cmd = Command::new(self.bindir.join(program));
        cmd.args(args).current_dir(&self.pgdata).env("LC_ALL", "C").envs(env.iter().copied());
        if let Some((uid, gid)) = self.run_as {
            cmd.uid(uid).gid(gid).env("HOME", &self.pgdata);
        }
        let output: Output = cmd.output().map_err(io_err(format!("running {program}")))?;
        if output.status.success() {
            return Ok(());
        }
        let mut text = String::from_utf8_lossy(&output.stderr).into_owned();
        if let Some(log) = log.and_then(|p| fs::read_to_string(p).ok()) {
            text.push_str(&log);
        }
        Err(ClusterError::Command { program: program.to_owned(), status: output.status.to_string(), log: text })
    }

    /// A connection URL for `database` on this cluster.
    pub fn url(&self, database: &str) -> String {
        format!("postgres://{SUPERUSER}:{}@127.0.0.1:{}/{database}", self.password, self.port)
    }

    pub fn port(&self) -> u16 {
        self.port
    }

    /// Creates `database` unless it exists.
    pub async fn ensure_database(&self, database: &str) -> Result<(), ClusterError> {
        use diesel::sql_types::Text;
        #[derive(diesel::QueryableByName)]
        struct Exists {
            #[diesel(sql_type = diesel::sql_types::Bool)]
            exists: bool,
        }
        let failed = |_| ClusterError::CreateDatabase(database.to_owned());
        let mut conn = AsyncPgConnection::establish(&self.url("postgres")).await.map_err(failed)?;
        let found: Exists = diesel::sql_query("SELECT EXISTS (SELECT 1 FROM pg_database WHERE datname = $1) AS exists")
            .bind::<Text, _>(database)
            .get_result(&mut conn)
            .await
            .map_err(|_| ClusterError::CreateDatabase(database.to_owned()))?;
        if !found.exists {
            let quoted = database.replace('"', "\"\"");
            diesel::sql_query(format!("CREATE DATABASE \"{quoted}\""))
                .execute(&mut conn)
                .await
                .map_err(|_| ClusterError::CreateDatabase(database.to_owned()))?;
        }
        Ok(())
    }

    /// Stops the server at once, as a crash would ("immediate": recovery runs at the next start).
    pub fn stop_immediately(&self) -> Result<(), ClusterError> {
        let pgdata = self.pgdata.display().to_string();
        self.run("pg_ctl", &["stop", "-w", "-m", "immediate", "-D", &pgdata], None)
    }

    /// Stops the server if this process started it ("fast": sessions are ended, data is safe).
    pub fn stop(&self) -> Result<(), ClusterError> {
        if !self.started_here {
            return Ok(());
        }
        let pgdata = self.pgdata.display().to_string();
        self.run("pg_ctl", &["stop", "-w", "-m", "fast", "-D", &pgdata], None)
    }
}

/// Where the server binaries are: `pg_config --bindir` if it has them, else the newest
/// `/usr/lib/postgresql/<version>/bin`, else the directory of `initdb` on the PATH.
fn find_bindir() -> Option<PathBuf> {
    let has_server = |dir: &Path| dir.join("initdb").is_file() && dir.join("pg_ctl").is_file() && dir.join("postgres").is_file();
    if let Ok(out) = Command::new("pg_config").arg("--bindir").output() {
        let dir = PathBuf::from(String::from_utf8_lossy(&out.stdout).trim());
        if out.status.success() && has_server(&dir) {
            return Some(dir);
        }
    }
    let mut versions: Vec<(u32, PathBuf)> = fs::read_dir("/usr/lib/postgresql")
        .into_iter()
        .flatten()
        .flatten()
        .filter_map(|e| Some((e.file_name().to_str()?.parse().ok()?, e.path().join("bin"))))
        .filter(|(_, dir)| has_server(dir))
        .collect();
    versions.sort();
    if let Some((_, dir)) = versions.pop() {
        return Some(dir);
    }
    std::env::var_os("PATH")
        .map(|p| std::env::split_paths(&p).collect::<Vec<_>>())
        .unwrap_or_default()
        .into_iter()
        .find(|dir| has_server(dir))
}

/// The owner of `/proc/self` is the process's effective user.
fn effective_uid_is_root() -> bool {
    fs::metadata("/proc/self").map(|m| m.uid() == 0).unwrap_or(false)
}

/// The uid and gid of the `postgres` user, from /etc/passwd.
fn service_user() -> Option<(u32, u32)> {
    let passwd = fs::read_to_string("/etc/passwd").ok()?;
    passwd.lines().find_map(|line| {
        let fields: Vec<&str> = line.split(':').collect();
        match fields.as_slice() {
            [name, _, uid, gid, ..] if *name == SERVICE_USER => Some((uid.parse().ok()?, gid.parse().ok()?)),
            _ => None,
        }
    })
}

fn free_port() -> io::Result<u16> {
    Ok(TcpListener::bind("127.0.0.1:0")?.local_addr()?.port())
}

fn write_private(path: &Path, contents: &str) -> Result<(), ClusterError> {
    let mut f = fs::OpenOptions::new()
        .write(true)
        .create(true)
        .truncate(true)
        .mode(0o600)
        .open(path)
        .map_err(io_err(format!("writing {}", path.display())))?;
    f.write_all(contents.as_bytes()).map_err(io_err(format!("writing {}", path.display())))
}

/// Reads a secret kept in `path`, creating it (32 random bytes, hex, mode 0600) on first use.
pub fn read_or_create_secret(path: &Path) -> Result<String, ClusterError> {
    if let Ok(existing) = fs::read_to_string(path) {
        let trimmed = existing.trim();
        if !trimmed.is_empty() {
            return Ok(trimmed.to_owned());
        }
    }
    let mut bytes = [0u8; 32];
    fs::File::open("/dev/urandom").and_then(|mut f| f.read_exact(&mut bytes)).map_err(io_err("reading random bytes"))?;
    let secret: String = bytes.iter().map(|b| format!("{b:02x}")).collect();
    write_private(path, &secret)?;
    Ok(secret)
}
