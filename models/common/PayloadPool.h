// Reused transaction payloads for an initiator (TLM-2.0 lets an initiator reuse a generic
// payload once its transaction has completed; without a memory manager the extensions it
// sets are its own to manage).
//
// Why: a tlm_generic_payload allocates its extension array when constructed and free()s
// every extension it still holds when destroyed, so a payload built on the stack per
// transaction, with its extensions made by `new`, costs several allocations and frees each
// time. A streamed run issues ~25 transactions per sample from each tile.
//
// A Transaction owns one payload and one extension of each kind it can carry (Exts...).
// begin() sets the payload up as tlmx::prepare does, with no extension attached; attach<E>()
// resets this transaction's own E, attaches it and returns it to be filled. The extensions
// stay attached (and readable, e.g. what a target wrote into them) until the lease ends or
// the next begin(); then they are cleared and reset, never freed, by the payload. A PayloadPool hands one module's thread
// its transactions: one taken while another is in flight (a target calling back into the
// initiator during b_transport) is a different one.
#pragma once

#include <tlm>

#include <cstddef>
#include <cstdint>
#include <deque>
#include <tuple>
#include <type_traits>
#include <utility>
#include <vector>

#include "models/common/Payload.h"

namespace sotsim::tlmx {

template <class... Exts>
class Transaction {
public:
    Transaction() = default;
    Transaction(const Transaction&) = delete;
    Transaction& operator=(const Transaction&) = delete;
    ~Transaction() { detach(); }

    tlm::tlm_generic_payload& begin(tlm::tlm_command cmd, std::uint64_t addr, void* data, std::size_t bytes) {
        detach();
        prepare(p_, cmd, addr, data, bytes);
        return p_;
    }
    template <class E>
    E& attach() {
        E& e = std::get<E>(ext_);
        e = E();
        p_.set_extension(&e);
        attached_ |= 1u << index_of<E, Exts...>();
        return e;
    }
    tlm::tlm_generic_payload& payload() { return p_; }

    // Cleared, not freed: they are members. A target or interconnect that adds an extension
    // to a payload without a memory manager removes it before it returns (TLM-2.0), so these
    // are the only ones a payload of ours can hold. Only the kinds attached since the last
    // begin() (a bit each); each is also reset, so what it held (a callback capturing the
    // initiator's locals, a gather closure) does not outlive its transaction. Called when
    // a lease ends and by begin().
    void detach() {
        detach(std::index_sequence_for<Exts...>{});
        attached_ = 0;
    }

private:
    template <std::size_t... I>
    void detach(std::index_sequence<I...>) {
        ((attached_ >> I & 1u ? detach_one(std::get<I>(ext_)) : void()), ...);
    }
    template <class E>
    void detach_one(E& e) {
        p_.clear_extension(&e);
        e = E();
    }
    template <class E, class First, class... Rest>
    static constexpr unsigned index_of() {
        if constexpr (std::is_same_v<E, First>) return 0;
        else return 1 + index_of<E, Rest...>();
    }
    static_assert(sizeof...(Exts) <= 32, "one bit per extension kind");
    tlm::tlm_generic_payload p_;
    std::tuple<Exts...> ext_;
    std::uint32_t attached_ = 0;
};

template <class... Exts>
class PayloadPool {
public:
    using Tx = Transaction<Exts...>;
    // A transaction taken from the pool, given back when the lease ends.
    class Lease {
    public:
        Lease(PayloadPool& pool, Tx& tx) : pool_(pool), tx_(tx) {}
        Lease(const Lease&) = delete;
        Lease& operator=(const Lease&) = delete;
        ~Lease() {
            tx_.detach();
            pool_.free_.push_back(&tx_);
        }
        Tx& operator*() const { return tx_; }
        Tx* operator->() const { return &tx_; }

    private:
        PayloadPool& pool_;
        Tx& tx_;
    };

    Lease take() {
        if (free_.empty()) {
            all_.emplace_back();
            return Lease(*this, all_.back());
        }
        Tx& tx = *free_.back();
        free_.pop_back();
        return Lease(*this, tx);
    }
    std::size_t size() const { return all_.size(); }   // transactions made so far

private:
    std::deque<Tx> all_;        // stable addresses
    std::vector<Tx*> free_;
};

}  // namespace sotsim::tlmx
