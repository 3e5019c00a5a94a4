/// How a layer dict spells references to other layers: which options hold layer names.
///
/// This is the syntax of RETURNN's network dicts (each class's `transform_config_dict` decides which
/// option values it passes to `get_layer`), not their semantics: the IR records the references, and the
/// Analyzer decides what they mean.
public enum LayerSyntax {
    /// Options that hold a layer name (or are ignored when not a string) for every class.
    static let commonReferenceOptions: [String] = ["from", "initial_output", "extra_deps"]

    /// Extra options that hold layer names, per layer class (`transform_config_dict` in RETURNN).
    static let classReferenceOptions: [String: [String]] = [
        "masked_computation": ["mask", "masked_from"],
        "unmask": ["mask"],
        "boolean_mask": ["mask"],
        "switch": ["condition", "true_from", "false_from"],
        "cond": ["condition", "true_layer", "false_layer"],
        "gather": ["position"],
        "gather_nd": ["position"],
        "scatter_nd": ["position", "output_dim_via_time_from"],
        "slice_nd": ["start", "size"],
        "softmax_over_spatial": ["start", "window_start", "window_size"],
        "seq_len_mask": ["seq_len_source", "start", "window_start", "window_size"],
        "random": ["mean", "stddev", "bound", "minval", "maxval", "explicit_state"],
        "rand_int": ["maxval", "minval"],
        "pad": ["value"],
        "split_batch_time": ["base"],
        "unflatten_nd": ["sizes"],
        "repeat": ["repetitions"],
        "reinterpret_data": ["size_base", "batch_dim_base"],
        "conv": ["filter", "bias"],
        "transposed_conv": ["filter", "bias"],
        "prefix_in_time": ["repeat", "size_base"],
        "postfix_in_time": ["postfix"],
        "time_unchunking": ["chunking_layer"],
        "resize": ["factor"],
        "top_k": ["k"],
        "search_sorted": ["sorted_sequence", "values"],
        "forced_align": ["align_target"],
        "sparse_softmax_cross_entropy_with_logits": ["logits", "targets"],
        "ctc_loss": ["logits", "targets"],
        "fast_bw": ["staircase_seq_len_source"],
        "gradient": ["y", "x"],
        "synthetic_gradient": ["gradient"],
        "rec": ["max_seq_len_via"],
        "rec_last_output": ["rec_layer"],
        "generic_attention": ["base", "weights"],
        "dot_attention": ["base", "base_ctx"],
        "concat_attention": ["base", "base_ctx"],
        "gauss_window_attention": ["base"],
        "self_attention": ["key_shift"],
        "positional_encoding": ["offset"],
        "edit_distance": ["a", "b"],
        "variable": ["init_by_layer"],
        "variable_assign": ["var", "value"],
        "variable_read": ["var"],
        "parametric_wiener_filter": ["filter_input", "parameters", "noise_estimation"],
        "signal_masking": ["signal", "mask"],
    ]

    /// Options whose value must be a layer name when present (a number or mapping there is a mistake).
    static let requiredReferenceOptions: Set<String> = ["mask", "masked_from", "position", "size_base", "base", "weights"]

    /// Classes whose `from` defaults to nothing instead of `["data"]`.
    public static let classesWithoutDefaultSource: Set<String> = [
        "source", "random_state_init", "random", "rand_int", "range", "constant", "switch", "search_sorted",
        "subnetwork", "train_flag", "global_train_step", "sparse_softmax_cross_entropy_with_logits", "ctc_loss",
        "gradient", ":i", "rec_last_output", "decide_keep_beam", "choice_get_beam_scores", "choice_get_src_beams",
        "generic_attention", "edit_distance", "masked_computation", "parametric_wiener_filter", "signal_masking",
        "variable", "variable_assign", "variable_read",
    ]

    /// The string values of `initial_output` that are keywords, not layer names.
    public static let initialOutputKeywords: Set<String> = [
        "zeros", "ones", "var", "keep_over_epoch", "keep_over_epoch_no_init", "apply(0)",
    ]

    /// The options that may hold a layer name for a class, `from` first.
    public static func referenceOptions(forClass className: String?) -> [String] {
        guard let className, let options = referenceOptionsByClass[className] else { return commonReferenceOptions }
        return options
    }

    /// `commonReferenceOptions` followed by the class's own, per class with extra options (built once).
    private static let referenceOptionsByClass: [String: [String]] = classReferenceOptions.mapValues {
        commonReferenceOptions + $0
    }
}
