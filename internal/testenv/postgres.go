package testenv

import (
	"fmt"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

// Postgres is a real PostgreSQL server of a test, on a loopback port.
type Postgres struct {
	Port int
	bin  string
	dir  string
	cred *syscall.Credential
}

// StartPostgres runs Debian's PostgreSQL on a free port of 127.0.0.1 with one database owned by
// one role with password, until the test ends. Connections over TCP authenticate with md5,
// which drivers that predate SCRAM (Fn's lib/pq) speak. As root, the server runs as the
// postgres user, since PostgreSQL refuses to run as root.
func StartPostgres(t *testing.T, role, password, database string) *Postgres {
	t.Helper()
	bins, _ := filepath.Glob("/usr/lib/postgresql/*/bin/initdb")
	if len(bins) == 0 {
		t.Fatal("PostgreSQL is needed for the Fn real-server test: apt-get install postgresql (.ci/run does)")
	}
	pg := &Postgres{Port: FreePort(t), bin: filepath.Dir(bins[len(bins)-1])}
	// Not t.TempDir: the postgres user must reach it, and a test's temporary tree is root's alone.
	dir, err := os.MkdirTemp("", "navarkos-pg-")
	if err != nil {
		t.Fatal(err)
	}
	pg.dir = dir
	t.Cleanup(func() { _ = os.RemoveAll(dir) })
	if os.Geteuid() == 0 {
		u, err := user.Lookup("postgres")
		if err != nil {
			t.Fatalf("running as root, PostgreSQL needs the postgres user: %v", err)
		}
		uid, _ := strconv.Atoi(u.Uid)
		gid, _ := strconv.Atoi(u.Gid)
		pg.cred = &syscall.Credential{Uid: uint32(uid), Gid: uint32(gid)}
		if err := os.Chown(dir, uid, gid); err != nil {
			t.Fatal(err)
		}
	}
	data := filepath.Join(dir, "data")
	if out, err := pg.command("initdb", "-D", data, "-U", "postgres", "--auth-local=trust", "--auth-host=md5", "--no-sync").CombinedOutput(); err != nil {
		t.Fatalf("initdb: %v\n%s", err, out)
	}
	server := pg.command("postgres", "-D", data, "-k", dir, "-h", "127.0.0.1", "-p", strconv.Itoa(pg.Port),
		"-c", "password_encryption=md5", "-c", "fsync=off")
	logs := &SyncBuffer{}
	server.Stdout, server.Stderr = logs, logs
	if err := server.Start(); err != nil {
		t.Fatal(err)
	}
	exited := make(chan struct{})
	go func() { _ = server.Wait(); close(exited) }()
	t.Cleanup(func() {
		// A fast shutdown: the server ends its own backends.
		_ = server.Process.Signal(syscall.SIGINT)
		select {
		case <-exited:
		case <-time.After(10 * time.Second):
			_ = server.Process.Kill()
			<-exited
		}
		if t.Failed() {
			t.Logf("PostgreSQL's log:\n%s", logs.String())
		}
	})
	deadline := time.Now().Add(30 * time.Second)
	for pg.SQL("SELECT 1") != nil {
		select {
		case <-exited:
			t.Fatalf("PostgreSQL exited:\n%s", logs.String())
		case <-time.After(100 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			t.Fatalf("PostgreSQL did not accept connections within 30s:\n%s", logs.String())
		}
	}
	// psql quotes the variables: any password and name go in as they are.
	setup := pg.command("psql", "-h", dir, "-p", strconv.Itoa(pg.Port), "-U", "postgres", "-v", "ON_ERROR_STOP=1",
		"-v", "role="+role, "-v", "password="+password, "-v", "database="+database, "-f", "-")
	setup.Stdin = strings.NewReader("CREATE ROLE :\"role\" LOGIN PASSWORD :'password';\nCREATE DATABASE :\"database\" OWNER :\"role\";\n")
	if out, err := setup.CombinedOutput(); err != nil {
		t.Fatalf("creating role %s and database %s: %v\n%s", role, database, err, out)
	}
	return pg
}

// SQL runs a statement as the superuser over the server's socket.
func (pg *Postgres) SQL(statement string) error {
	_, err := pg.Query("postgres", statement)
	return err
}

// Query runs a statement as the superuser in database and returns its rows, unaligned.
func (pg *Postgres) Query(database, statement string) (string, error) {
	out, err := pg.command("psql", "-h", pg.dir, "-p", strconv.Itoa(pg.Port), "-U", "postgres", "-d", database,
		"-v", "ON_ERROR_STOP=1", "-A", "-t", "-c", statement).CombinedOutput()
	if err != nil {
		return "", fmt.Errorf("psql %q: %w: %s", statement, err, out)
	}
	return string(out), nil
}

func (pg *Postgres) command(name string, args ...string) *exec.Cmd {
	cmd := exec.Command(filepath.Join(pg.bin, name), args...)
	if pg.cred != nil {
		cmd.SysProcAttr = &syscall.SysProcAttr{Credential: pg.cred}
	}
	cmd.Dir = os.TempDir()
	return cmd
}
