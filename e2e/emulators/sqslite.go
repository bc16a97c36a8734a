package emulators

import (
	"context"
	"encoding/xml"
	"fmt"
	"io"
	"maps"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
)

// SQSLite is a running sqslite server: an in-memory SQS on a loopback port
// that checks queue names, FIFO rules, attributes and dead-letter targets,
// started by [StartSQSLite]. Endpoint is its URL.
type SQSLite struct {
	*nodeServer
}

// StartSQSLite starts e2e/npm/sqslite-server.js, which listens on a free
// loopback port and stops when its standard input closes, and waits until
// it listens. Close stops it.
func StartSQSLite(ctx context.Context, tools *Tools) (*SQSLite, error) {
	s, err := startNodeServer(ctx, tools, "sqslite")
	if err != nil {
		return nil, err
	}
	return &SQSLite{nodeServer: s}, nil
}

// sqsliteARNPrefix is the ARN sqslite gives every queue, whatever the
// account and region: its own constant (sqslite 2.1.1, lib/sqs.js,
// QUEUE_ARN), followed by the queue's name.
const sqsliteARNPrefix = "arn:aws:sqs:us-east-1:queues:"

// LocalARN is the ARN sqslite knows the queue named name by, for a
// RedrivePolicy's deadLetterTargetArn.
func (s *SQSLite) LocalARN(name string) string { return sqsliteARNPrefix + name }

// QueueURL is the URL sqslite answers for the queue named name: sqslite
// recognizes queue URLs only on the host name localhost (lib/sqs.js,
// QUEUE_URL_REGEX).
func (s *SQSLite) QueueURL(name string) string {
	return "http://" + s.host() + "/queues/" + name
}

func (s *SQSLite) host() string {
	return "localhost:" + s.Endpoint[strings.LastIndexByte(s.Endpoint, ':')+1:]
}

// Call sends one request of SQS's query protocol (a form-encoded POST /
// with Action and the operation's parameters, attributes as Attribute.N.Name
// and Attribute.N.Value; "Amazon SQS API Reference", "Making query API
// requests") and returns the answer's body. An error answer is an
// [*APIError] with SQS's error code and message.
func (s *SQSLite) Call(ctx context.Context, action string, params map[string]string, attributes map[string]string) ([]byte, error) {
	form := url.Values{"Action": {action}}
	for k, v := range params {
		form.Set(k, v)
	}
	i := 1
	for _, k := range slices.Sorted(maps.Keys(attributes)) {
		form.Set("Attribute."+strconv.Itoa(i)+".Name", k)
		form.Set("Attribute."+strconv.Itoa(i)+".Value", attributes[k])
		i++
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, s.Endpoint+"/", strings.NewReader(form.Encode()))
	if err != nil {
		return nil, err
	}
	req.Host = s.host()
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	resp, err := s.client.Do(req)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", action, err)
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(resp.Body)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", action, err)
	}
	if resp.StatusCode != http.StatusOK {
		// SQS's query protocol: <ErrorResponse><Error><Code>..</Code><Message>..</Message></Error></ErrorResponse>.
		var e struct {
			Code    string `xml:"Error>Code"`
			Message string `xml:"Error>Message"`
		}
		if err := xml.Unmarshal(data, &e); err != nil || e.Code == "" {
			return nil, fmt.Errorf("%s: HTTP %d: %q", action, resp.StatusCode, data)
		}
		return nil, &APIError{Type: e.Code, Message: e.Message, Status: resp.StatusCode}
	}
	return data, nil
}
