package smarterbase_test

import (
	"bufio"
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/smarterbase/smarterbase/clients/go/smarterbase"
)

// The live-server fixture. If SMARTERBASE_GRPC_ADDR is set, tests use that
// server; otherwise the first test that needs one spawns
// `node dist/server/src/main.js --storage memory --grpc-port 0 --http-port 0`
// from the repository root, and TestMain kills it after the run. Unit tests
// that need no server run either way.
var (
	serverOnce sync.Once
	serverAddr string
	serverErr  error
	serverCmd  *exec.Cmd
	runSuffix  = randomSuffix()
	collSeq    atomic.Int64
)

func TestMain(m *testing.M) {
	code := m.Run()
	stopServer()
	os.Exit(code)
}

// liveClient returns a client connected to the live server, failing the
// test when no server can be had.
func liveClient(t *testing.T) *smarterbase.Client {
	t.Helper()
	serverOnce.Do(func() {
		if addr := os.Getenv("SMARTERBASE_GRPC_ADDR"); addr != "" {
			serverAddr = addr
		} else if serverAddr, serverErr = spawnServer(); serverErr != nil {
			return
		}
		// Probe once, so that an unreachable server fails every live test
		// at once instead of each after its own dial timeout.
		probeCtx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		probe, err := smarterbase.Dial(probeCtx, serverAddr, smarterbase.WithBlock())
		if err != nil {
			serverErr = fmt.Errorf("server %s not reachable: %w", serverAddr, err)
			return
		}
		_ = probe.Close()
	})
	if serverErr != nil {
		t.Fatalf("live server: %v", serverErr)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	c, err := smarterbase.Dial(ctx, serverAddr, smarterbase.WithBlock(), smarterbase.WithCallTimeout(30*time.Second))
	if err != nil {
		t.Fatalf("dial %s: %v", serverAddr, err)
	}
	t.Cleanup(func() { _ = c.Close() })
	return c
}

// collection returns a collection name unique to this process, test and
// call (so -count=N against a shared server starts from empty collections).
func collection(t *testing.T) string {
	name := strings.NewReplacer("/", "-", "_", "-").Replace(t.Name())
	if len(name) > 80 {
		name = name[:80]
	}
	return fmt.Sprintf("go-%s-%d-%s", runSuffix, collSeq.Add(1), name)
}

func randomSuffix() string {
	b := make([]byte, 4)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

// repoRoot walks up from the package directory to the directory holding
// clients/go/go.mod (clients/go is ../.. of the repository root).
func repoRoot() (string, error) {
	dir, err := os.Getwd()
	if err != nil {
		return "", err
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "clients", "go", "go.mod")); err == nil {
			return dir, nil
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", fmt.Errorf("repository root not found above the test directory")
		}
		dir = parent
	}
}

func spawnServer() (string, error) {
	addr, cmd, err := startServerProcess(nil)
	serverCmd = cmd
	return addr, err
}

// startServerProcess starts the built server with in-memory storage and
// extraEnv ("KEY=value") added to this process's environment, and returns
// its gRPC address once it logs "listening" (cmd is non-nil once started,
// also on error: stop it with stopProcess).
func startServerProcess(extraEnv []string) (string, *exec.Cmd, error) {
	root, err := repoRoot()
	if err != nil {
		return "", nil, err
	}
	main := filepath.Join(root, "dist", "server", "src", "main.js")
	if _, err := os.Stat(main); err != nil {
		return "", nil, fmt.Errorf("%s is missing: run npm run build in %s (or set SMARTERBASE_GRPC_ADDR)", main, root)
	}
	cmd := exec.Command("node", main, "--storage", "memory", "--grpc-port", "0", "--http-port", "0", "--metrics-port", "0")
	cmd.Dir = root
	cmd.Env = append(os.Environ(), extraEnv...)
	cmd.Stderr = os.Stderr
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		return "", nil, err
	}
	if err := cmd.Start(); err != nil {
		return "", nil, fmt.Errorf("start server: %w", err)
	}
	found := make(chan int, 1)
	go func() {
		sc := bufio.NewScanner(stdout)
		sc.Buffer(make([]byte, 64*1024), 1024*1024)
		sent := false
		for sc.Scan() {
			if sent {
				continue // keep draining so the server never blocks on stdout
			}
			var line struct {
				Msg      string  `json:"msg"`
				GRPCPort float64 `json:"grpcPort"`
			}
			if json.Unmarshal(sc.Bytes(), &line) == nil && line.Msg == "listening" && line.GRPCPort > 0 {
				found <- int(line.GRPCPort)
				sent = true
			}
		}
		_, _ = io.Copy(io.Discard, stdout)
		close(found)
	}()
	select {
	case port, ok := <-found:
		if !ok {
			return "", cmd, fmt.Errorf("server exited before logging \"listening\"")
		}
		return fmt.Sprintf("127.0.0.1:%d", port), cmd, nil
	case <-time.After(30 * time.Second):
		return "", cmd, fmt.Errorf("server did not log \"listening\" within 30s")
	}
}

func stopServer() { stopProcess(serverCmd) }

// stopProcess stops a server started by startServerProcess: SIGTERM, then
// SIGKILL after 5 s.
func stopProcess(cmd *exec.Cmd) {
	if cmd == nil || cmd.Process == nil {
		return
	}
	_ = cmd.Process.Signal(syscall.SIGTERM)
	done := make(chan struct{})
	go func() { _ = cmd.Wait(); close(done) }()
	select {
	case <-done:
	case <-time.After(5 * time.Second):
		_ = cmd.Process.Kill()
		<-done
	}
}
