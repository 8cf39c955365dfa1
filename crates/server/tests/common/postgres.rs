//! A PostgreSQL server of the test's own (Debian's, as `scripts/with-postgres` starts one), on a free loopback port,
//! which the test may stop and start again: the database going away and coming back.
use std::{path::PathBuf, process::Command};

pub struct Postgres {
    bin: PathBuf,
    dir: PathBuf,
    pub port: u16,
}

/// Runs a PostgreSQL program as the `postgres` user when the tests run as root (initdb refuses root).
fn as_postgres(program: &std::path::Path, args: &[&str]) -> std::process::Output {
    let mut command = if nix_root() {
        let mut c = Command::new("runuser");
        c.args(["-u", "postgres", "--"]).arg(program);
        c
    } else {
        Command::new(program)
    };
    command.args(args).output().expect("a PostgreSQL program")
}

fn nix_root() -> bool {
    Command::new("id").arg("-u").output().is_ok_and(|o| o.stdout.starts_with(b"0\n"))
}

impl Postgres {
    /// A new server, started; None where PostgreSQL is not installed (`scripts/setup` installs it).
    pub fn start(name: &str) -> Option<Postgres> {
        let bin = std::fs::read_dir("/usr/lib/postgresql")
            .ok()?
            .flatten()
            .map(|e| e.path().join("bin"))
            .filter(|b| b.join("initdb").exists())
            .max()?;
        let dir = std::env::temp_dir().join(format!("promess-pg-{name}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        if nix_root() {
            assert!(Command::new("chown").args(["postgres:", dir.to_str().unwrap()]).status().unwrap().success());
        }
        let data = dir.join("data");
        let init =
            as_postgres(&bin.join("initdb"), &["-D", data.to_str()?, "-A", "trust", "-U", "postgres", "--no-sync"]);
        assert!(init.status.success(), "initdb: {}", String::from_utf8_lossy(&init.stderr));
        let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
        let server = Postgres { bin, dir, port };
        server.up();
        Some(server)
    }

    /// `postgres://…/postgres` on this server.
    pub fn url(&self) -> String {
        format!("postgres://postgres@127.0.0.1:{}/postgres", self.port)
    }

    /// Starts the server (again), waiting until it accepts connections.
    pub fn up(&self) {
        let options = format!("-c listen_addresses=127.0.0.1 -p {} -k {} -c fsync=off", self.port, self.dir.display());
        let data = self.dir.join("data");
        let log = self.dir.join("log");
        let args = ["-D", data.to_str().unwrap(), "-l", log.to_str().unwrap(), "-w", "-o", &options, "start"];
        let started = as_postgres(&self.bin.join("pg_ctl"), &args);
        assert!(started.status.success(), "pg_ctl start: {}", String::from_utf8_lossy(&started.stderr));
    }

    /// Stops the server at once, as a crash or a failover would (connections cut).
    pub fn down(&self) {
        let data = self.dir.join("data");
        let stopped =
            as_postgres(&self.bin.join("pg_ctl"), &["-D", data.to_str().unwrap(), "-m", "immediate", "-w", "stop"]);
        assert!(stopped.status.success(), "pg_ctl stop: {}", String::from_utf8_lossy(&stopped.stderr));
    }
}

impl Drop for Postgres {
    fn drop(&mut self) {
        let data = self.dir.join("data");
        let _ = as_postgres(&self.bin.join("pg_ctl"), &["-D", data.to_str().unwrap(), "-m", "immediate", "stop"]);
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}
