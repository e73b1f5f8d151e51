// The only C this package sees: librdkafka's client API and its in-process mock cluster, plus
// non-variadic wrappers for the variadic and macro parts Swift cannot call.
#ifndef CREDENCE_CRDKAFKA_SHIM_H
#define CREDENCE_CRDKAFKA_SHIM_H

#include <librdkafka/rdkafka.h>
#include <librdkafka/rdkafka_mock.h>
#include <stdint.h>
#include <stddef.h>
#include <dlfcn.h>

/// rd_kafka_producev() with copied key and value, optional headers (ownership passes to
/// librdkafka on success only) and a per-message opaque for the delivery report.
static inline rd_kafka_resp_err_t credence_rd_kafka_produce(
    rd_kafka_t *rk, const char *topic, int32_t partition, const void *key, size_t key_len,
    const void *value, size_t value_len, rd_kafka_headers_t *headers, void *msg_opaque) {
    if (headers != NULL) {
        return rd_kafka_producev(
            rk, RD_KAFKA_V_TOPIC(topic), RD_KAFKA_V_PARTITION(partition),
            RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY), RD_KAFKA_V_KEY(key, key_len),
            RD_KAFKA_V_VALUE((void *)value, value_len), RD_KAFKA_V_HEADERS(headers),
            RD_KAFKA_V_OPAQUE(msg_opaque), RD_KAFKA_V_END);
    }
    return rd_kafka_producev(
        rk, RD_KAFKA_V_TOPIC(topic), RD_KAFKA_V_PARTITION(partition),
        RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY), RD_KAFKA_V_KEY(key, key_len),
        RD_KAFKA_V_VALUE((void *)value, value_len), RD_KAFKA_V_OPAQUE(msg_opaque), RD_KAFKA_V_END);
}

/// RD_KAFKA_PARTITION_UA: let the partitioner choose (by key).
static inline int32_t credence_rd_kafka_partition_unassigned(void) { return RD_KAFKA_PARTITION_UA; }

/// RD_KAFKA_OFFSET_* sentinels.
static inline int64_t credence_rd_kafka_offset_beginning(void) { return RD_KAFKA_OFFSET_BEGINNING; }
static inline int64_t credence_rd_kafka_offset_end(void) { return RD_KAFKA_OFFSET_END; }
static inline int64_t credence_rd_kafka_offset_stored(void) { return RD_KAFKA_OFFSET_STORED; }
static inline int64_t credence_rd_kafka_offset_invalid(void) { return RD_KAFKA_OFFSET_INVALID; }

/// The topic partition list's element at index (Swift cannot index the C array field safely).
static inline rd_kafka_topic_partition_t *credence_rd_kafka_tpl_at(
    rd_kafka_topic_partition_list_t *list, int index) {
    return &list->elems[index];
}

/// rd_kafka_mock_group_initial_rebalance_delay_ms() where the librdkafka loaded at run time has
/// it (2.1 and later; Debian 12's 2.0.2 headers do not declare it). Returns 0 when it is absent.
static inline int credence_rd_kafka_mock_set_initial_rebalance_delay(
    rd_kafka_mock_cluster_t *mcluster, int32_t delay_ms) {
    typedef void (*credence_delay_fn)(rd_kafka_mock_cluster_t *, int32_t);
    credence_delay_fn fn =
        (credence_delay_fn)dlsym(RTLD_DEFAULT, "rd_kafka_mock_group_initial_rebalance_delay_ms");
    if (fn == NULL) return 0;
    fn(mcluster, delay_ms);
    return 1;
}

#endif
