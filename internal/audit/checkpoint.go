package audit

import (
	"bufio"
	"bytes"
	"context"
	"crypto/hmac"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"sync"
	"time"

	"github.com/emmansun/gmsm/sm3"
	"github.com/jmoiron/sqlx"
)

// Checkpoint is a signed statement that the chain's head was row Seq with hash Hash at time
// At. Kept outside the database (Anchor) and in the log, it shows a chain cut back below it:
// the rows and the head inside the database can be rewound together, the checkpoint cannot
// be made without the key.
type Checkpoint struct {
	Seq  int64     `json:"seq"`
	Hash string    `json:"hash"`
	At   time.Time `json:"at"`
	// MAC is HMAC-SM3 with the chain's key over the three fields above (checkpointMAC).
	MAC string `json:"mac"`
}

// checkpointMAC signs a checkpoint's seq, hash and time, with a label that keeps a checkpoint's
// MAC from ever equalling a row's.
func (c *Chain) checkpointMAC(cp Checkpoint) string {
	m := hmac.New(sm3.New, c.key)
	for _, p := range []string{"egovpm audit checkpoint 1", strconv.FormatInt(cp.Seq, 10), cp.Hash, cp.At.UTC().Format(time.RFC3339Nano)} {
		m.Write([]byte(strconv.Itoa(len(p))))
		m.Write([]byte{':'})
		m.Write([]byte(p))
	}
	return hex.EncodeToString(m.Sum(nil))
}

func (c *Chain) checkpointValid(cp Checkpoint) bool {
	return hmac.Equal([]byte(c.checkpointMAC(cp)), []byte(cp.MAC))
}

// Checkpoint reads the committed head of the chain in db and signs it, at the current time.
func (c *Chain) Checkpoint(ctx context.Context, db *sqlx.DB) (Checkpoint, error) {
	var cp Checkpoint
	if err := db.GetContext(ctx, &cp, `SELECT seq, hash FROM audit_head WHERE id = 1`); err != nil {
		return cp, fmt.Errorf("audit checkpoint: %w", err)
	}
	cp.At = time.Now().UTC().Truncate(time.Microsecond)
	cp.MAC = c.checkpointMAC(cp)
	return cp, nil
}

// Anchor is the append-only file of checkpoints under DATA_DIR (audit/checkpoints.jsonl), one
// JSON object a line, outside the database whose chain it anchors.
type Anchor struct {
	path string
	mu   sync.Mutex // one Write at a time in a process
}

// AnchorFile is the checkpoint file's path under DATA_DIR.
const AnchorFile = "audit/checkpoints.jsonl"

// OpenAnchor returns the Anchor under dataDir, creating its directory.
func OpenAnchor(dataDir string) (*Anchor, error) {
	p := filepath.Join(dataDir, AnchorFile)
	if err := os.MkdirAll(filepath.Dir(p), 0o750); err != nil {
		return nil, fmt.Errorf("create audit checkpoint directory: %w", err)
	}
	return &Anchor{path: p}, nil
}

// AnchorAt returns the Anchor of the checkpoint file at path (a copy kept elsewhere, or the
// checkpoints taken from the log, docs/AUDIT.md).
func AnchorAt(path string) *Anchor { return &Anchor{path: path} }

// Path is the checkpoint file's path.
func (a *Anchor) Path() string { return a.path }

// Write appends cp as one line in one write, and syncs the file.
func (a *Anchor) Write(cp Checkpoint) error {
	b, err := json.Marshal(cp)
	if err != nil {
		return err
	}
	a.mu.Lock()
	defer a.mu.Unlock()
	f, err := os.OpenFile(a.path, os.O_APPEND|os.O_CREATE|os.O_WRONLY, 0o640)
	if err != nil {
		return fmt.Errorf("open audit checkpoints: %w", err)
	}
	defer f.Close()
	if _, err := f.Write(append(b, '\n')); err != nil {
		return fmt.Errorf("write audit checkpoint: %w", err)
	}
	if err := f.Sync(); err != nil {
		return fmt.Errorf("sync audit checkpoints: %w", err)
	}
	return nil
}

// Read returns the checkpoints of the file (none when there is no file yet). bad is the
// number (from 1) of the first line that is not a checkpoint, 0 when all are; a last line
// without its newline is a write a crash cut short, and is skipped.
func (a *Anchor) Read() (cps []Checkpoint, bad int, err error) {
	f, err := os.Open(a.path)
	if errors.Is(err, os.ErrNotExist) {
		return nil, 0, nil
	}
	if err != nil {
		return nil, 0, fmt.Errorf("open audit checkpoints: %w", err)
	}
	defer f.Close()
	r := bufio.NewReader(f)
	for n := 1; ; n++ {
		line, err := r.ReadBytes('\n')
		if errors.Is(err, io.EOF) {
			return cps, 0, nil // a line without its newline: cut short
		}
		if err != nil {
			return nil, 0, fmt.Errorf("read audit checkpoints: %w", err)
		}
		var cp Checkpoint
		dec := json.NewDecoder(bytes.NewReader(line))
		dec.DisallowUnknownFields()
		if err := dec.Decode(&cp); err != nil || cp.MAC == "" {
			return cps, n, nil
		}
		cps = append(cps, cp)
	}
}
