package streamkapmock

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"sync"
)

// Client calls the emulated Streamkap API as one credential, logging in on first use
// (and again when its token stops working, e.g. after the clock was advanced).
// It is there for setup and checks in tests; the code under test brings its own client.
type Client struct {
	mock             *Mock
	clientID, secret string

	mu    sync.Mutex
	token string
}

// Client is an API client logged in as clientID.
func (m *Mock) Client(clientID, secret string) *Client {
	return &Client{mock: m, clientID: clientID, secret: secret}
}

// Do sends a request (body encoded as JSON unless nil) and decodes a 2xx answer into out
// (unless nil). A non-2xx answer is an *Error carrying the status and the detail.
func (c *Client) Do(method, path string, body, out any) error {
	var encoded []byte
	if body != nil {
		var err error
		if encoded, err = json.Marshal(body); err != nil {
			return err
		}
	}
	token, err := c.login(false)
	if err != nil {
		return err
	}
	raw, err := c.send(method, path, encoded, token)
	if isStatus(err, http.StatusUnauthorized) {
		if token, err = c.login(true); err != nil {
			return err
		}
		raw, err = c.send(method, path, encoded, token)
	}
	if err != nil || out == nil {
		return err
	}
	return json.Unmarshal(raw, out)
}

func (c *Client) send(method, path string, body []byte, token string) ([]byte, error) {
	var reader io.Reader
	if body != nil {
		reader = bytes.NewReader(body)
	}
	req, err := http.NewRequest(method, c.mock.URL+path, reader)
	if err != nil {
		return nil, err
	}
	req.Header.Set("Accept", "application/json")
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	return send(c.mock.http, req)
}

func (c *Client) login(again bool) (string, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.token != "" && !again {
		return c.token, nil
	}
	body, _ := json.Marshal(map[string]string{"client_id": c.clientID, "secret": c.secret})
	raw, err := c.send("POST", "/auth/access-token", body, "")
	if err != nil {
		return "", err
	}
	var issued struct {
		AccessToken string `json:"accessToken"`
	}
	if err := json.Unmarshal(raw, &issued); err != nil {
		return "", err
	}
	c.token = issued.AccessToken
	return c.token, nil
}
