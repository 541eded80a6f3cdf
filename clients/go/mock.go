package streamkapmock

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

// Environment variables the package reads.
const (
	// EnvURL is the base URL of a running mock to attach to (e.g. a CI service container).
	EnvURL = "STREAMKAP_MOCK_URL"
	// EnvAdminToken is the control plane's bearer token, when the mock was started with one.
	EnvAdminToken = "STREAMKAP_MOCK_ADMIN_TOKEN"
)

// The fixture credential every mock has (fixtures/tenants.json): an admin of tenant-acme.
const (
	DefaultClientID = "mock-client"
	DefaultSecret   = "mock-secret"
)

// How long a started mock may take to print its address, and a stop to end it.
const (
	startTimeout = 60 * time.Second
	stopTimeout  = 10 * time.Second
)

// The first line `streamkap-mock serve` prints once its port is bound.
var banner = regexp.MustCompile(`serving on (http://\S+)`)

// Mock is a running streamkap-mock: its address, the default credential, and its control plane.
type Mock struct {
	// URL is the emulated API's base URL (STREAMKAP_HOST), e.g. http://127.0.0.1:41234.
	URL string
	// ClientID and Secret are the default fixture credential (tenant-acme's admin).
	ClientID, Secret string

	adminToken string
	http       *http.Client
}

type config struct {
	seed       string
	idSeed     *int64
	adminToken string
	args       []string
	command    string
}

// Option changes how Start, Launch or Main get their mock.
type Option func(*config)

// WithSeed loads a seed at start-up and on every full reset: a shipped seed's name
// ("provider-acceptance", see `streamkap-mock seeds`) or a seed file's path.
// It applies to a mock this package starts; one at STREAMKAP_MOCK_URL runs with its own
// flags (give it STREAMKAP_MOCK_SEED), or load a seed into it with Mock.SeedName.
func WithSeed(nameOrPath string) Option { return func(c *config) { c.seed = nameOrPath } }

// WithIDSeed makes generated ids, request ids and timestamps a function of n and the
// request sequence (`--id-seed n`), so the same run gives the same cassette. It applies
// to a mock this package starts.
func WithIDSeed(n int64) Option { return func(c *config) { c.idSeed = &n } }

// WithAdminToken is the control plane's token: a started mock requires it, an attached one is sent it.
// By default STREAMKAP_MOCK_ADMIN_TOKEN is sent when set.
func WithAdminToken(token string) Option { return func(c *config) { c.adminToken = token } }

// WithArgs adds flags to `streamkap-mock serve` (e.g. "--status-delay", "2") for a mock this package starts.
func WithArgs(args ...string) Option { return func(c *config) { c.args = append(c.args, args...) } }

// WithCommand runs this streamkap-mock executable instead of the one on PATH.
func WithCommand(path string) Option { return func(c *config) { c.command = path } }

// Start gives the test a running mock and stops it (if it started one) when the test ends.
//
// It attaches to the mock at STREAMKAP_MOCK_URL when set, else runs
// `streamkap-mock serve --port 0 --db :memory:` from PATH; it fails the test with
// one line saying how to get either when neither is there.
func Start(t testing.TB, opts ...Option) *Mock {
	t.Helper()
	mock, stop, err := Launch(opts...)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := stop(); err != nil {
			t.Error(err)
		}
	})
	return mock
}

// Main runs a test binary's tests against one mock: it starts it (or attaches to
// STREAMKAP_MOCK_URL), points STREAMKAP_MOCK_URL at it so every Start of the binary
// attaches to it, sets Env() (the default credential) for the whole binary, runs the
// tests and stops it. Call it from TestMain:
//
//	func TestMain(m *testing.M) { os.Exit(streamkapmock.Main(m)) }
func Main(m *testing.M, opts ...Option) int {
	mock, stop, err := Launch(opts...)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	defer func() {
		if err := stop(); err != nil {
			fmt.Fprintln(os.Stderr, err)
		}
	}()
	os.Setenv(EnvURL, mock.URL)
	if mock.adminToken != "" {
		os.Setenv(EnvAdminToken, mock.adminToken)
	}
	// The provider's pre-checks want these set; a Tenant's provider block overrides them.
	for name, value := range mock.Env() {
		os.Setenv(name, value)
	}
	return m.Run()
}

// Launch is Start without a test: the mock, and the function that stops it
// (which does nothing for an attached mock).
func Launch(opts ...Option) (*Mock, func() error, error) {
	cfg := config{adminToken: os.Getenv(EnvAdminToken)}
	for _, opt := range opts {
		opt(&cfg)
	}
	if url := os.Getenv(EnvURL); url != "" {
		mock := newMock(strings.TrimRight(url, "/"), cfg.adminToken)
		if _, err := mock.Health(); err != nil {
			return nil, nil, fmt.Errorf("streamkapmock: %s=%s does not answer: %w", EnvURL, url, err)
		}
		return mock, func() error { return nil }, nil
	}
	command := cfg.command
	if command == "" {
		found, err := exec.LookPath("streamkap-mock")
		if err != nil {
			return nil, nil, errors.New("streamkapmock: no mock to test against: set " + EnvURL +
				" to a running one (docker run -p 8080:8080 <streamkap-mock image>) or put streamkap-mock on PATH" +
				" (pip install streamkap-mock)")
		}
		command = found
	}
	return serve(command, cfg)
}

func serve(command string, cfg config) (*Mock, func() error, error) {
	// Warnings only: the log goes to a pipe that is read only to explain a failure.
	args := []string{"serve", "--port", "0", "--db", ":memory:", "--host", "127.0.0.1", "--log-level", "warning"}
	if cfg.seed != "" {
		args = append(args, "--seed", cfg.seed)
	}
	if cfg.idSeed != nil {
		args = append(args, "--id-seed", strconv.FormatInt(*cfg.idSeed, 10))
	}
	if cfg.adminToken != "" {
		args = append(args, "--admin-token", cfg.adminToken)
	}
	args = append(args, cfg.args...)
	// The flags above win over the caller's STREAMKAP_MOCK_* variables; the rest of them apply.
	cmd := exec.Command(command, args...)
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		return nil, nil, err
	}
	log := &tail{limit: 16 << 10}
	cmd.Stderr = log
	if err := cmd.Start(); err != nil {
		return nil, nil, fmt.Errorf("streamkapmock: cannot run %s: %w", command, err)
	}
	found := make(chan string, 1)
	go func() {
		lines := bufio.NewScanner(stdout)
		for lines.Scan() {
			if match := banner.FindStringSubmatch(lines.Text()); match != nil {
				found <- match[1]
				break
			}
		}
		close(found)                       // no address, if closed first: the process is gone
		_, _ = io.Copy(io.Discard, stdout) // the rest of the banner: a full pipe would block the server
	}()
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()
	var once sync.Once
	var stopErr error
	stop := func() error {
		once.Do(func() {
			_ = cmd.Process.Signal(os.Interrupt)
			select {
			case <-exited:
			case <-time.After(stopTimeout):
				_ = cmd.Process.Kill()
				<-exited
				stopErr = fmt.Errorf("streamkapmock: the mock did not stop within %s; killed it", stopTimeout)
			}
		})
		return stopErr
	}
	select {
	case url, ok := <-found:
		if !ok {
			_ = stop()
			return nil, nil, fmt.Errorf("streamkapmock: %s %s exited before serving: %s",
				command, strings.Join(args, " "), log.String())
		}
		return newMock(url, cfg.adminToken), stop, nil
	case <-time.After(startTimeout):
		_ = stop()
		return nil, nil, fmt.Errorf("streamkapmock: %s did not print its address within %s: %s",
			command, startTimeout, log.String())
	}
}

func newMock(url, adminToken string) *Mock {
	return &Mock{URL: url, ClientID: DefaultClientID, Secret: DefaultSecret, adminToken: adminToken,
		http: &http.Client{Timeout: 60 * time.Second}}
}

// Env is what the Terraform provider reads to reach the mock as the default credential.
func (m *Mock) Env() map[string]string {
	return env(m.URL, m.ClientID, m.Secret)
}

// Setenv sets Env() for the test (and restores the variables after it). A parallel test
// cannot change the environment: give each one a Tenant and its Env() instead.
func (m *Mock) Setenv(t testing.TB) { setenv(t, m.Env()) }

func env(url, clientID, secret string) map[string]string {
	return map[string]string{"STREAMKAP_HOST": url, "STREAMKAP_CLIENT_ID": clientID, "STREAMKAP_SECRET": secret}
}

func setenv(t testing.TB, vars map[string]string) {
	t.Helper()
	for name, value := range vars {
		t.Setenv(name, value)
	}
}

// Error is a non-2xx answer of the mock.
type Error struct {
	Method, Path string
	Status       int
	Detail       string
}

func (e *Error) Error() string {
	return fmt.Sprintf("streamkapmock: %s %s: %d %s", e.Method, e.Path, e.Status, e.Detail)
}

// control calls the control plane (/__mock) and decodes a JSON answer into out (when not nil).
func (m *Mock) control(method, path string, body, out any) error {
	raw, err := m.controlRaw(method, path, body)
	if err != nil || out == nil {
		return err
	}
	return json.Unmarshal(raw, out)
}

// listed is the "result" list of a control-plane listing.
func listed[T any](m *Mock, path string) ([]T, error) {
	var page struct {
		Result []T `json:"result"`
	}
	return page.Result, m.control("GET", path, nil, &page)
}

func (m *Mock) controlRaw(method, path string, body any) ([]byte, error) {
	var reader io.Reader
	if body != nil {
		encoded, err := json.Marshal(body)
		if err != nil {
			return nil, err
		}
		reader = bytes.NewReader(encoded)
	}
	req, err := http.NewRequest(method, m.URL+"/__mock"+path, reader)
	if err != nil {
		return nil, err
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if m.adminToken != "" {
		req.Header.Set("Authorization", "Bearer "+m.adminToken)
	}
	return send(m.http, req)
}

// send runs a request and reads its answer; a non-2xx answer is an *Error with the body's detail.
func send(client *http.Client, req *http.Request) ([]byte, error) {
	resp, err := client.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(resp.Body)
	if err != nil {
		return nil, err
	}
	if resp.StatusCode >= 300 {
		var problem struct {
			Detail json.RawMessage `json:"detail"`
		}
		detail := strings.TrimSpace(string(raw))
		if json.Unmarshal(raw, &problem) == nil && len(problem.Detail) > 0 {
			var text string
			if json.Unmarshal(problem.Detail, &text) == nil {
				detail = text
			} else {
				detail = string(problem.Detail)
			}
		}
		return raw, &Error{Method: req.Method, Path: req.URL.Path, Status: resp.StatusCode, Detail: detail}
	}
	return raw, nil
}

// tail keeps the last bytes written to it: a child's log, shown when it fails.
type tail struct {
	mu    sync.Mutex
	buf   []byte
	limit int
}

func (w *tail) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.buf = append(w.buf, p...)
	if len(w.buf) > w.limit {
		w.buf = w.buf[len(w.buf)-w.limit:]
	}
	return len(p), nil
}

func (w *tail) String() string {
	w.mu.Lock()
	defer w.mu.Unlock()
	return strings.TrimSpace(string(w.buf))
}
