package streamkapmock_test

import (
	"fmt"
	"sync"
	"testing"

	streamkapmock "github.com/streamkap-com/streamkap-mock/clients/go"
)

// A PostgreSQL source's config: the same in every tenant (names are per tenant).
func postgresConfig() map[string]any {
	return map[string]any{
		"database.hostname.user.defined":  "db.example.com",
		"database.port.user.defined":      5432,
		"database.user":                   "streamkap",
		"database.password":               "secret123",
		"database.dbname":                 "app",
		"schema.include.list":             "public",
		"table.include.list.user.defined": "public.users,public.orders",
		"slot.name":                       "streamkap_slot",
		"publication.name":                "streamkap_pub",
	}
}

type entity struct {
	ID   string `json:"id"`
	Name string `json:"name"`
}

type listing struct {
	Total  int      `json:"total"`
	Result []entity `json:"result"`
}

// created holds every run's source id, so each run can check it sees none of the others'.
var created sync.Map // run name -> source id

// TestAccStyleParallelTenants is shaped like a provider acceptance test (pre-check,
// steps, checks on what was sent), run 8 times in parallel: each run has a tenant of
// its own and creates the same names, with no 409 and without seeing another's entities.
func TestAccStyleParallelTenants(t *testing.T) {
	mock := streamkapmock.Start(t)
	for run := 0; run < 8; run++ {
		t.Run(fmt.Sprintf("run%d", run), func(t *testing.T) {
			t.Parallel()
			tenant := mock.Tenant(t)
			preCheck(t, tenant.Env())
			client := tenant.Client()

			// Step 1: create a tag and a source, the same names in every run.
			var tag, source entity
			must(t, client.Do("POST", "/tags", map[string]any{"name": "acc-tag", "type": []string{"sources"}}, &tag))
			must(t, client.Do("POST", "/sources?secret_returned=true&wait=false", map[string]any{
				"name": "acc-source", "connector": "postgresql", "config": postgresConfig(),
				"tags": []string{tag.ID}, "created_from": "terraform",
			}, &source))
			created.Store(t.Name(), source.ID)
			t.Cleanup(func() { created.Delete(t.Name()) })

			// Step 2: rename it, then read it back as the provider does.
			must(t, client.Do("PUT", "/sources/"+source.ID+"?secret_returned=true&wait=false", map[string]any{
				"name": "acc-source-renamed", "connector": "postgresql", "config": postgresConfig(),
			}, nil))
			var read listing
			must(t, client.Do("GET", "/sources/"+source.ID+"?secret_returned=true", nil, &read))
			if read.Total != 1 || read.Result[0].Name != "acc-source-renamed" {
				t.Fatalf("read back %+v", read)
			}

			// The tenant's listing holds its own source only; another run's id reads as unknown.
			var all listing
			must(t, tenant.ReadOnlyClient().Do("GET", "/sources", nil, &all))
			if all.Total != 1 || all.Result[0].ID != source.ID {
				t.Fatalf("the tenant lists %+v, want only %s", all, source.ID)
			}
			created.Range(func(run, id any) bool {
				if run != t.Name() {
					var other listing
					must(t, client.Do("GET", "/sources/"+id.(string), nil, &other))
					if other.Total != 0 {
						t.Errorf("%s sees %s's source %s", t.Name(), run, id)
					}
				}
				return true
			})

			// Step 3: destroy, and the destroy check reads until it is gone.
			must(t, client.Do("DELETE", "/sources/"+source.ID+"?secret_returned=true&wait=false", nil, nil))
			must(t, client.Do("GET", "/sources/"+source.ID+"?secret_returned=true", nil, &read))
			if read.Total != 0 {
				t.Fatalf("still there after delete: %+v", read)
			}

			// Checks on the journal: what this tenant sent, and that nothing was refused.
			sent, err := tenant.Requests(streamkapmock.Filter{})
			must(t, err)
			var writes []string
			for _, request := range sent {
				if request.TenantID == nil || *request.TenantID != tenant.ID {
					t.Errorf("the tenant's journal holds a request of another tenant: %+v", request)
				}
				if request.Status == nil || *request.Status >= 300 {
					t.Errorf("%s %s answered %v", request.Method, request.Path, request.Status)
				}
				if request.Method != "GET" && request.Path != "/auth/access-token" {
					writes = append(writes, request.Method+" "+request.Path)
				}
			}
			want := []string{"POST /tags", "POST /sources", "PUT /sources/" + source.ID, "DELETE /sources/" + source.ID}
			if fmt.Sprint(writes) != fmt.Sprint(want) {
				t.Errorf("writes %v, want %v", writes, want)
			}
			conflicts, err := tenant.Requests(streamkapmock.Filter{Status: 409})
			must(t, err)
			if len(conflicts) != 0 {
				t.Errorf("409s: %+v", conflicts)
			}
		})
	}
}

// preCheck is the provider's testAccPreCheck: the variables it needs are set.
func preCheck(t *testing.T, env map[string]string) {
	t.Helper()
	for _, name := range []string{"STREAMKAP_HOST", "STREAMKAP_CLIENT_ID", "STREAMKAP_SECRET"} {
		if env[name] == "" {
			t.Fatalf("%s must be set for acceptance tests", name)
		}
	}
}

func must(t testing.TB, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}
