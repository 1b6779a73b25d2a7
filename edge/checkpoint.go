package edge

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"time"

	"github.com/valyala/fasthttp"
)

// adminCheckpoint serves POST /admin/v1/checkpoint: a consistent copy of
// the running store in <data_dir>.checkpoints/<UTC time> (answered as an
// absolute path), made without stopping the edge (see store.Checkpoint).
// It is a backup that a store opened on it, or an edge given it as
// data_dir, restores.
func (e *Edge) adminCheckpoint(ctx *fasthttp.RequestCtx) {
	dir, err := e.checkpoint(time.Now())
	if err != nil {
		e.log.Error("checkpoint failed", "err", err)
		writeJSON(ctx, fasthttp.StatusInternalServerError, map[string]string{"error": err.Error()})
		return
	}
	e.log.Info("checkpoint written", "dir", dir)
	writeJSON(ctx, fasthttp.StatusOK, map[string]string{"checkpoint": dir})
}

// checkpoint writes one, named by now (a suffix tells apart two made in
// the same second), and returns its directory. Checkpoints are made one at
// a time, so two requests never pick the same name.
func (e *Edge) checkpoint(now time.Time) (string, error) {
	e.checkpointMu.Lock()
	defer e.checkpointMu.Unlock()
	// The data dir as the store opened it: a reload may have changed the
	// config's, which takes effect only at restart.
	abs, err := filepath.Abs(e.started.DataDir)
	if err != nil {
		return "", fmt.Errorf("edge: checkpoint: %w", err)
	}
	parent := abs + ".checkpoints"
	if err := os.MkdirAll(parent, 0o755); err != nil {
		return "", fmt.Errorf("edge: checkpoint: %w", err)
	}
	base := filepath.Join(parent, now.UTC().Format("20060102T150405Z"))
	dir := base
	for i := 2; ; i++ {
		if _, err := os.Lstat(dir); errors.Is(err, fs.ErrNotExist) {
			break
		} else if err != nil {
			return "", fmt.Errorf("edge: checkpoint: %w", err)
		}
		dir = fmt.Sprintf("%s-%d", base, i)
	}
	if err := e.st.Checkpoint(dir); err != nil {
		return "", fmt.Errorf("edge: %w", err)
	}
	return dir, nil
}
