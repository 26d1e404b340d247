package match

// Model selects the scoring model.
type Model int

// Scoring models.
const (
	// ModelWeighted is the spec default (§4.2): S = Σ wᵢ·cᵢ / Σ wᵢ.
	ModelWeighted Model = iota
	// ModelFellegiSunter scores with comparison levels and m/u
	// probabilities; S is the posterior match probability.
	ModelFellegiSunter
)

// Weights are the spec component weights.
type Weights struct {
	E, N, P, C, A float64
}

// Config holds the model, weights and thresholds. The zero value is not
// useful; start from [DefaultConfig] or [SpecConfig].
type Config struct {
	Model Model

	// Weights of the spec components; used by the weighted score and,
	// in both models, for the comparable weight of guard G1.
	Weights Weights

	// AutoMerge and Review are the decision thresholds on S.
	AutoMerge float64
	Review    float64

	// MinComparableWeight is guard G1's weight floor; MinName is guard
	// G2's floor on N.
	MinComparableWeight float64
	MinName             float64

	// ExactEmailMinName is the §4.1 exception: when both records have
	// names and N is below it, an equal email key goes the fuzzy path.
	ExactEmailMinName float64

	// CityCountsAsAddress makes the address component A comparable when
	// the two records share no street or postcode but both have a city,
	// which lets guard G1 pass on name + city. The spec (§4.2 A, G1) says
	// false, and so do both default configs; TestDatasets logs what it
	// would buy on the labelled data.
	CityCountsAsAddress bool

	// FS holds the Fellegi–Sunter parameters (ModelFellegiSunter).
	FS FSParams
}

// SpecConfig returns the spec default model of §4.2 unchanged.
func SpecConfig() Config {
	return Config{
		Model:               ModelWeighted,
		Weights:             Weights{E: 0.4, N: 0.3, P: 0.2, C: 0.1, A: 0.2},
		AutoMerge:           0.95,
		Review:              0.80,
		MinComparableWeight: 0.5,
		MinName:             0.80,
		ExactEmailMinName:   0.5,
		FS:                  DefaultFSParams(),
	}
}

// DefaultConfig returns the model chosen by measurement: the spec's
// thresholds and guards with the Fellegi–Sunter score.
func DefaultConfig() Config {
	c := SpecConfig()
	c.Model = ModelFellegiSunter
	return c
}
