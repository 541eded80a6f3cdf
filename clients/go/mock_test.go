package streamkapmock_test

import (
	"errors"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	streamkapmock "github.com/streamkap-com/streamkap-mock/clients/go"
)

const seededSource = "67adbcc172417ef6338e01a1" // the PostgreSQL source of provider-acceptance

// Main exported the mock's address and default credential for the whole binary.
func TestMainSetTheProvidersVariables(t *testing.T) {
	mock := streamkapmock.Start(t)
	if os.Getenv("STREAMKAP_HOST") != mock.URL || os.Getenv("STREAMKAP_CLIENT_ID") != streamkapmock.DefaultClientID ||
		os.Getenv("STREAMKAP_SECRET") != streamkapmock.DefaultSecret {
		t.Fatalf("STREAMKAP_HOST=%q, want %q", os.Getenv("STREAMKAP_HOST"), mock.URL)
	}
}

func TestLaunchWithoutAMockSaysHowToGetOneInOneLine(t *testing.T) {
	t.Setenv(streamkapmock.EnvURL, "")
	t.Setenv("PATH", t.TempDir())
	_, _, err := streamkapmock.Launch()
	if err == nil {
		t.Fatal("Launch found a mock with an empty PATH")
	}
	message := err.Error()
	if strings.Contains(message, "\n") || !strings.Contains(message, "STREAMKAP_MOCK_URL") ||
		!strings.Contains(message, "PATH") {
		t.Fatalf("want one line naming STREAMKAP_MOCK_URL and PATH, got %q", message)
	}
}

func TestLaunchAttachedToADeadURLSaysSo(t *testing.T) {
	t.Setenv(streamkapmock.EnvURL, "http://127.0.0.1:1")
	_, _, err := streamkapmock.Launch()
	if err == nil || !strings.Contains(err.Error(), "STREAMKAP_MOCK_URL=http://127.0.0.1:1 does not answer") {
		t.Fatalf("got %v", err)
	}
}

// Start with flags runs a mock of its own (even when STREAMKAP_MOCK_URL is set) and stops it afterwards.
func TestStartRunsItsOwnMockWithASeedByNameAndStopsIt(t *testing.T) {
	if _, err := exec.LookPath("streamkap-mock"); err != nil {
		t.Skip("streamkap-mock is not on PATH: this test starts one of its own")
	}
	var url string
	t.Run("started", func(t *testing.T) {
		t.Setenv(streamkapmock.EnvURL, "")
		mock := streamkapmock.Start(t, streamkapmock.WithSeed("provider-acceptance"),
			streamkapmock.WithArgs("--status-delay", "5"))
		url = mock.URL
		health, err := mock.Health()
		must(t, err)
		if health.Storage.Kind != "memory" || health.Entities["sources"] != 1 {
			t.Fatalf("health %+v", health)
		}
		var seeded listing
		must(t, mock.Client(mock.ClientID, mock.Secret).Do("GET", "/sources/"+seededSource, nil, &seeded))
		if seeded.Total != 1 {
			t.Fatalf("the seed's source is missing: %+v", seeded)
		}
		mock.Setenv(t)
		if os.Getenv("STREAMKAP_HOST") != mock.URL || os.Getenv("STREAMKAP_CLIENT_ID") != "mock-client" ||
			os.Getenv("STREAMKAP_SECRET") != "mock-secret" {
			t.Fatalf("Setenv set %v", mock.Env())
		}
	})
	if _, err := http.Get(url + "/__mock/health"); err == nil {
		t.Fatalf("the mock at %s still answers after its test ended", url)
	}
}

// With an id seed, the same requests give the same cassette, byte for byte (a full reset starts the run again).
func TestWithIDSeedTheSameRunGivesTheSameCassette(t *testing.T) {
	if _, err := exec.LookPath("streamkap-mock"); err != nil {
		t.Skip("streamkap-mock is not on PATH: this test starts one of its own")
	}
	t.Setenv(streamkapmock.EnvURL, "")
	mock := streamkapmock.Start(t, streamkapmock.WithIDSeed(7))
	run := func() []byte {
		tenant, err := mock.CreateTenant("")
		must(t, err)
		must(t, tenant.Client().Do("POST", "/tags", map[string]any{"name": "t", "type": []string{"sources"}}, nil))
		cassette, err := mock.Cassette(streamkapmock.Filter{})
		must(t, err)
		return cassette
	}
	first := run()
	must(t, mock.Reset())
	if second := run(); string(first) != string(second) {
		t.Fatalf("the cassettes differ:\n%s\n---\n%s", first, second)
	}
	clock, err := mock.Clock()
	must(t, err)
	if !strings.HasPrefix(clock.Now, "2026-01-01T00:00:00.") {
		t.Fatalf("the run's clock is at %s, not at its fixed start", clock.Now)
	}
}

func TestStartWithAnAdminTokenSendsIt(t *testing.T) {
	if _, err := exec.LookPath("streamkap-mock"); err != nil {
		t.Skip("streamkap-mock is not on PATH: this test starts one of its own")
	}
	t.Setenv(streamkapmock.EnvURL, "")
	mock := streamkapmock.Start(t, streamkapmock.WithAdminToken("let-me-in"))
	if _, err := mock.Tenants(); err != nil {
		t.Fatal(err)
	}
	resp, err := http.Get(mock.URL + "/__mock/tenants")
	must(t, err)
	resp.Body.Close()
	if resp.StatusCode != 401 {
		t.Fatalf("the control plane answered %d without the token", resp.StatusCode)
	}
}

func TestTenantsAreListedAndDeletedWithTheirTest(t *testing.T) {
	mock := streamkapmock.Start(t)
	var id string
	t.Run("owner", func(t *testing.T) {
		tenant := mock.Tenant(t)
		id = tenant.ID
		if tenant.Admin.Secret == "" || tenant.ReadOnly.Secret == "" || tenant.ServiceID == "" {
			t.Fatalf("tenant %+v", tenant)
		}
		if !listed(t, mock, id) {
			t.Fatalf("%s is not listed", id)
		}
		err := tenant.ReadOnlyClient().Do("POST", "/tags", map[string]any{"name": "x", "type": []string{"sources"}}, nil)
		var apiErr *streamkapmock.Error
		if !errors.As(err, &apiErr) || apiErr.Status != 403 {
			t.Fatalf("a read-only write gave %v", err)
		}
	})
	if listed(t, mock, id) {
		t.Fatalf("%s outlived its test", id)
	}
	err := mock.DeleteTenant("tenant-acme")
	var apiErr *streamkapmock.Error
	if !errors.As(err, &apiErr) || apiErr.Status != 409 || !strings.Contains(apiErr.Detail, "fixtures") {
		t.Fatalf("deleting a fixture tenant gave %v", err)
	}
}

func listed(t *testing.T, mock *streamkapmock.Mock, id string) bool {
	tenants, err := mock.Tenants()
	must(t, err)
	for _, tenant := range tenants {
		if tenant.ID == id {
			return true
		}
	}
	return false
}

func TestSeedsFaultsJournalCassetteStatusSnapshotsAndTenantReset(t *testing.T) {
	mock := streamkapmock.Start(t)
	tenant := mock.Tenant(t)
	client := tenant.Client()

	// A seed struct, then the same entity from a file, in the test's own tenant.
	tag := map[string]any{"id": "650000000000000000000aa1", "name": "seeded", "type": []string{"sources"}}
	counts, err := mock.Seed(streamkapmock.SeedDocument{TenantID: tenant.ID, Tags: []map[string]any{tag}})
	must(t, err)
	if counts["tags"] != 1 {
		t.Fatalf("seeded %v", counts)
	}
	file := filepath.Join(t.TempDir(), "seed.json")
	must(t, os.WriteFile(file, []byte(`{"tenant_id": "`+tenant.ID+`", "tags": [
		{"id": "650000000000000000000aa2", "name": "from-file", "type": ["sources"]}]}`), 0o600))
	counts, err = mock.SeedFile(file)
	must(t, err)
	if counts["tags"] != 1 {
		t.Fatalf("seeded %v", counts)
	}
	_, err = mock.Seed(streamkapmock.SeedDocument{TenantID: tenant.ID, Tags: []map[string]any{{"name": "no id"}}})
	var apiErr *streamkapmock.Error
	if !errors.As(err, &apiErr) || apiErr.Status != 400 || !strings.Contains(apiErr.Detail, "tags[0]") {
		t.Fatalf("a bad seed gave %v", err)
	}

	// A source to force a status on.
	var source entity
	must(t, client.Do("POST", "/sources", map[string]any{"name": "pg", "connector": "postgresql",
		"config": postgresConfig()}, &source))
	status, err := mock.SetStatus(source.ID, streamkapmock.ForcedStatus{Status: "Broken", Trace: "boom"})
	must(t, err)
	if status.ConnectorStatus != "Broken" || status.EntityType != "sources" {
		t.Fatalf("status %+v", status)
	}

	// A fault on this tenant only, its counters, then gone.
	rule, err := mock.AddFault(streamkapmock.Fault{
		Match:   streamkapmock.FaultMatch{Method: "GET", Path: "/sources/{id}", Tenant: tenant.ID},
		Respond: streamkapmock.FaultAnswer{Status: 503, Detail: "try later", Headers: map[string]string{"Retry-After": "1"}},
		Times:   1,
	})
	must(t, err)
	err = client.Do("GET", "/sources/"+source.ID, nil, nil)
	if !errors.As(err, &apiErr) || apiErr.Status != 503 || apiErr.Detail != "try later" {
		t.Fatalf("the fault gave %v", err)
	}
	rules, err := mock.Faults()
	must(t, err)
	if found := findRule(rules, rule.ID); found == nil || found.Hits != 1 || found.Active {
		t.Fatalf("rule %+v in %+v", found, rules)
	}
	presets, err := mock.FaultPresets()
	must(t, err)
	if len(presets) == 0 || presets[0].Name == "" {
		t.Fatalf("presets %+v", presets)
	}
	must(t, mock.RemoveFault(rule.ID))

	// The journal, filtered, and the same requests as a cassette.
	failed, err := tenant.Requests(streamkapmock.Filter{Status: 503, Path: "/sources/{id}"})
	must(t, err)
	if len(failed) != 1 || failed[0].Fault == nil || *failed[0].Fault != rule.ID {
		t.Fatalf("journal %+v", failed)
	}
	recent, err := tenant.Requests(streamkapmock.Filter{Since: time.Now().Add(-time.Hour), Method: "POST"})
	must(t, err)
	if len(recent) < 2 { // a login and the source
		t.Fatalf("since an hour ago: %+v", recent)
	}
	cassette, err := mock.Cassette(streamkapmock.Filter{Tenant: tenant.ID, Status: 503})
	must(t, err)
	if !strings.HasPrefix(string(cassette), "version: 2\n") || !strings.Contains(string(cassette), "code: 503") {
		t.Fatalf("cassette:\n%s", cassette)
	}

	// Snapshots: save, list, restore, delete.
	name := "go-" + strings.ReplaceAll(tenant.ID, "tenant-", "")
	saved, err := mock.SaveSnapshot(name)
	must(t, err)
	if saved.Name != name || saved.Entities["sources"] < 1 {
		t.Fatalf("saved %+v", saved)
	}
	snapshots, err := mock.Snapshots()
	must(t, err)
	if !hasSnapshot(snapshots, name) {
		t.Fatalf("snapshots %+v", snapshots)
	}
	must(t, mock.DeleteSnapshot(name))
	if _, err := mock.RestoreSnapshot(name); !errors.As(err, &apiErr) || apiErr.Status != 404 {
		t.Fatalf("restoring a deleted snapshot gave %v", err)
	}

	// A reset of the tenant empties it and keeps it working.
	must(t, tenant.Reset())
	var after listing
	must(t, client.Do("GET", "/sources", nil, &after))
	if after.Total != 0 {
		t.Fatalf("after the tenant's reset: %+v", after)
	}
}

// Coverage is typed loosely: its route comes with another part of the mock, so a
// build without it answers 404, which the client reports as such.
func TestCoverageIsAMapOrA404(t *testing.T) {
	mock := streamkapmock.Start(t)
	coverage, err := mock.Coverage()
	var apiErr *streamkapmock.Error
	if err != nil && !(errors.As(err, &apiErr) && apiErr.Status == 404) {
		t.Fatal(err)
	}
	if err == nil && len(coverage) == 0 {
		t.Fatal("an empty coverage report")
	}
}

func findRule(rules []streamkapmock.FaultRule, id string) *streamkapmock.FaultRule {
	for i := range rules {
		if rules[i].ID == id {
			return &rules[i]
		}
	}
	return nil
}

func hasSnapshot(snapshots []streamkapmock.Snapshot, name string) bool {
	for _, snapshot := range snapshots {
		if snapshot.Name == name {
			return true
		}
	}
	return false
}
