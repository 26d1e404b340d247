package pipeline

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/twmb/franz-go/pkg/kadm"
)

// ReplayTarget says where a replay rewinds a group to: the start of its
// input, or the first offset at or after a time.
type ReplayTarget struct {
	ToStart bool
	ToTime  time.Time
}

// Replay rewinds the committed offsets of a stage's group on its input
// topic so the stage reprocesses from the target. The group must have no
// active members (stop the stage first); Kafka refuses otherwise. It
// returns the new offsets per partition.
func Replay(ctx context.Context, adm *kadm.Client, group, topic string, to ReplayTarget) (map[int32]int64, error) {
	if !to.ToStart && to.ToTime.IsZero() {
		return nil, errors.New("replay: give --to-start or --to-time")
	}
	var listed kadm.ListedOffsets
	var err error
	if to.ToStart {
		listed, err = adm.ListStartOffsets(ctx, topic)
	} else {
		listed, err = adm.ListOffsetsAfterMilli(ctx, to.ToTime.UnixMilli(), topic)
	}
	if err != nil {
		return nil, fmt.Errorf("replay %s: list offsets of %s: %w", group, topic, err)
	}
	if err := listed.Error(); err != nil {
		return nil, fmt.Errorf("replay %s: list offsets of %s: %w", group, topic, err)
	}
	offsets := listed.Offsets()
	resp, err := adm.CommitOffsets(ctx, group, offsets)
	if err != nil {
		return nil, fmt.Errorf("replay %s: commit offsets (is the stage still running? stop it first): %w", group, err)
	}
	if err := resp.Error(); err != nil {
		return nil, fmt.Errorf("replay %s: commit offsets (is the stage still running? stop it first): %w", group, err)
	}
	out := make(map[int32]int64)
	offsets.Each(func(o kadm.Offset) { out[o.Partition] = o.At })
	return out, nil
}
