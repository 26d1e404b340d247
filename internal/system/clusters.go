package system

import (
	"context"
	"errors"
	"fmt"

	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/leadstream/leadstream/pipeline"
)

// Clusters reads leads.synced and returns, for every source record of the
// given imports that became or joined a lead, the lead id it ended in
// (source record id → lead id), following leads dedupe folded into
// others (Envelope.Absorbed). Call it once the imports have their
// outcomes.
func (s *System) Clusters(ctx context.Context, importIDs ...string) (map[string]string, error) {
	return s.ClustersAt(ctx, LevelLead, importIDs...)
}

// Levels at which records are clustered (eval --level, issue 12).
const (
	// LevelLead: the lead a record ended in.
	LevelLead = "lead"
	// LevelOrganisation: the organisation (HaloPSA Client) of an
	// organisation lead, or of the site of a person record, else the
	// lead.
	LevelOrganisation = "organisation"
	// LevelSite: the site, which an organisation lead is; a person
	// record's site when it has one (Envelope.Site), else its lead.
	LevelSite = "site"
)

// clusterLabel is what record env is clustered by at level.
func clusterLabel(env *pipeline.Envelope, level string) string {
	switch level {
	case LevelSite:
		if env.Site != nil && env.Site.LeadID != "" {
			return env.Site.LeadID
		}
	case LevelOrganisation:
		if env.Site != nil && env.Site.OrganisationID != "" {
			return env.Site.OrganisationID
		}
		if env.Lead != nil && env.Lead.OrganisationID != "" {
			return env.Lead.OrganisationID
		}
	}
	return env.LeadID
}

// ClustersAt is Clusters at a level: LevelLead, LevelOrganisation or
// LevelSite.
func (s *System) ClustersAt(ctx context.Context, level string, importIDs ...string) (map[string]string, error) {
	switch level {
	case LevelLead, LevelSite, LevelOrganisation:
	default:
		return nil, fmt.Errorf("clusters: unknown level %q (lead, organisation or site)", level)
	}
	want := map[string]bool{}
	for _, id := range importIDs {
		want[id] = true
	}
	topic := s.opts.Namespace.Topic(pipeline.TopicSynced)
	out := map[string]string{}
	folded := map[string]string{} // a lead folded into another → that lead
	var decodeErr error
	err := pipeline.ReadTopic(ctx, s.brokers, topic, func(r *kgo.Record) {
		env, err := pipeline.OpenEnvelope(ctx, r, s.keyring)
		if errors.Is(err, pipeline.ErrErased) {
			return // an erased person is in no cluster
		}
		if err != nil {
			decodeErr = err
			return
		}
		if len(want) == 0 || want[env.Source.ImportID] {
			label := clusterLabel(env, level)
			out[env.Source.RecordID] = label
			for _, b := range env.Absorbed {
				folded[b] = env.LeadID
			}
		}
	}, s.opts.ClientOpts...)
	if err != nil {
		return nil, fmt.Errorf("clusters: %w", err)
	}
	if decodeErr != nil {
		return nil, fmt.Errorf("clusters: %w", decodeErr)
	}
	// Records of a folded lead belong to the lead it was folded into.
	for id, label := range out {
		for seen := 0; seen < 64; seen++ {
			to, ok := folded[label]
			if !ok {
				break
			}
			label = to
		}
		out[id] = label
	}
	return out, nil
}
