/* SPDX-License-Identifier: Apache-2.0 */
/*
 * A PKCS#11 module that forwards every call to a real module (REAL_MODULE, given with -D at compile time)
 * and injects the faults SoftHSM2 cannot produce on its own, so the key store's handling of them is tested
 * against a real token underneath:
 *   kc_fault_set(0)  no fault
 *   kc_fault_set(1)  user PIN locked: the token reports CKF_USER_PIN_LOCKED and C_Login returns CKR_PIN_LOCKED
 *   kc_fault_set(2)  PIN locks on the next login: C_Login returns CKR_PIN_LOCKED, after which mode 1 holds
 *   kc_fault_set(3)  token removed: every session of the real module is closed (the device forgets them and
 *                    the login), the slot reports no token, and session calls return CKR_DEVICE_REMOVED
 *   kc_fault_set(4)  faulty signer: C_Sign succeeds but one bit of the signature is flipped
 * kc_login_calls() counts the C_Login calls that reached the shim.
 * The CK_FUNCTION_LIST layout (version, then 68 entry points) is that of PKCS#11 v2.40, pkcs11f.h.
 */
#include <dlfcn.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

typedef unsigned long CK_ULONG;
typedef CK_ULONG CK_RV;
typedef struct { unsigned char major, minor; } CK_VERSION;
typedef struct { CK_VERSION version; void *fn[68]; } FUNCTION_LIST;
typedef struct { unsigned char label[32], manufacturer[32], model[16], serial[16]; CK_ULONG flags; } TOKEN_INFO_HEAD;

enum { I_INITIALIZE = 0, I_FINALIZE = 1, I_GET_SLOT_LIST = 4, I_GET_TOKEN_INFO = 6, I_OPEN_SESSION = 12,
       I_CLOSE_ALL_SESSIONS = 14, I_GET_SESSION_INFO = 15, I_LOGIN = 18, I_GET_ATTRIBUTE_VALUE = 24,
       I_FIND_OBJECTS_INIT = 26, I_FIND_OBJECTS = 27, I_SIGN_INIT = 42, I_SIGN = 43, I_GENERATE_KEY_PAIR = 59 };

#define CKR_OK 0x0UL
#define CKR_DEVICE_REMOVED 0x32UL
#define CKR_PIN_LOCKED 0xA4UL
#define CKR_TOKEN_NOT_PRESENT 0xE0UL
#define CKR_CRYPTOKI_ALREADY_INITIALIZED 0x191UL
#define CKF_USER_PIN_LOCKED 0x40000UL

static FUNCTION_LIST *real;
static FUNCTION_LIST shim;
static volatile int fault;
static volatile int login_calls;
static int owns_initialization;

typedef CK_RV (*initialize_fn)(void *);
typedef CK_RV (*get_slot_list_fn)(unsigned char, CK_ULONG *, CK_ULONG *);
typedef CK_RV (*slot_fn)(CK_ULONG);
typedef CK_RV (*get_token_info_fn)(CK_ULONG, void *);
typedef CK_RV (*open_session_fn)(CK_ULONG, CK_ULONG, void *, void *, CK_ULONG *);
typedef CK_RV (*session_ptr_fn)(CK_ULONG, void *);
typedef CK_RV (*login_fn)(CK_ULONG, CK_ULONG, unsigned char *, CK_ULONG);
typedef CK_RV (*attribute_fn)(CK_ULONG, CK_ULONG, void *, CK_ULONG);
typedef CK_RV (*find_init_fn)(CK_ULONG, void *, CK_ULONG);
typedef CK_RV (*find_fn)(CK_ULONG, CK_ULONG *, CK_ULONG, CK_ULONG *);
typedef CK_RV (*sign_init_fn)(CK_ULONG, void *, CK_ULONG);
typedef CK_RV (*sign_fn)(CK_ULONG, unsigned char *, CK_ULONG, unsigned char *, CK_ULONG *);
typedef CK_RV (*keypair_fn)(CK_ULONG, void *, void *, CK_ULONG, void *, CK_ULONG, CK_ULONG *, CK_ULONG *);

#define REAL(index, type) ((type)real->fn[index])

static CK_RV shim_initialize(void *args)
{
    CK_RV rv = REAL(I_INITIALIZE, initialize_fn)(args);
    owns_initialization = rv == CKR_OK;
    return rv == CKR_CRYPTOKI_ALREADY_INITIALIZED ? CKR_OK : rv;
}

static CK_RV shim_finalize(void *reserved)
{
    return owns_initialization ? REAL(I_FINALIZE, initialize_fn)(reserved) : CKR_OK;
}

static CK_RV shim_get_slot_list(unsigned char token_present, CK_ULONG *list, CK_ULONG *count)
{
    if (fault == 3 && token_present)
    {
        *count = 0;
        return CKR_OK;
    }
    return REAL(I_GET_SLOT_LIST, get_slot_list_fn)(token_present, list, count);
}

static CK_RV shim_get_token_info(CK_ULONG slot, void *info)
{
    if (fault == 3)
        return CKR_TOKEN_NOT_PRESENT;
    CK_RV rv = REAL(I_GET_TOKEN_INFO, get_token_info_fn)(slot, info);
    if (rv == CKR_OK && fault == 1)
        ((TOKEN_INFO_HEAD *)info)->flags |= CKF_USER_PIN_LOCKED;
    return rv;
}

static CK_RV shim_open_session(CK_ULONG slot, CK_ULONG flags, void *app, void *notify, CK_ULONG *session)
{
    if (fault == 3)
        return CKR_TOKEN_NOT_PRESENT;
    return REAL(I_OPEN_SESSION, open_session_fn)(slot, flags, app, notify, session);
}

static CK_RV shim_get_session_info(CK_ULONG session, void *info)
{
    return fault == 3 ? CKR_DEVICE_REMOVED : REAL(I_GET_SESSION_INFO, session_ptr_fn)(session, info);
}

static CK_RV shim_login(CK_ULONG session, CK_ULONG user, unsigned char *pin, CK_ULONG length)
{
    __sync_fetch_and_add(&login_calls, 1);
    if (fault == 3)
        return CKR_DEVICE_REMOVED;
    if (fault == 1)
        return CKR_PIN_LOCKED;
    if (fault == 2)
    {
        fault = 1;
        return CKR_PIN_LOCKED;
    }
    return REAL(I_LOGIN, login_fn)(session, user, pin, length);
}

static CK_RV shim_get_attribute_value(CK_ULONG session, CK_ULONG object, void *template, CK_ULONG count)
{
    return fault == 3 ? CKR_DEVICE_REMOVED : REAL(I_GET_ATTRIBUTE_VALUE, attribute_fn)(session, object, template, count);
}

static CK_RV shim_find_objects_init(CK_ULONG session, void *template, CK_ULONG count)
{
    return fault == 3 ? CKR_DEVICE_REMOVED : REAL(I_FIND_OBJECTS_INIT, find_init_fn)(session, template, count);
}

static CK_RV shim_find_objects(CK_ULONG session, CK_ULONG *objects, CK_ULONG max, CK_ULONG *count)
{
    return fault == 3 ? CKR_DEVICE_REMOVED : REAL(I_FIND_OBJECTS, find_fn)(session, objects, max, count);
}

static CK_RV shim_sign_init(CK_ULONG session, void *mechanism, CK_ULONG key)
{
    return fault == 3 ? CKR_DEVICE_REMOVED : REAL(I_SIGN_INIT, sign_init_fn)(session, mechanism, key);
}

static CK_RV shim_sign(CK_ULONG session, unsigned char *data, CK_ULONG length, unsigned char *signature, CK_ULONG *signature_length)
{
    if (fault == 3)
        return CKR_DEVICE_REMOVED;
    CK_RV rv = REAL(I_SIGN, sign_fn)(session, data, length, signature, signature_length);
    if (rv == CKR_OK && fault == 4 && signature != NULL && *signature_length > 0)
        signature[*signature_length / 2] ^= 0x01;
    return rv;
}

static CK_RV shim_generate_key_pair(CK_ULONG session, void *mechanism, void *public_template, CK_ULONG public_count,
                                    void *private_template, CK_ULONG private_count, CK_ULONG *public_key, CK_ULONG *private_key)
{
    if (fault == 3)
        return CKR_DEVICE_REMOVED;
    return REAL(I_GENERATE_KEY_PAIR, keypair_fn)(session, mechanism, public_template, public_count,
                                                 private_template, private_count, public_key, private_key);
}

CK_RV C_GetFunctionList(FUNCTION_LIST **list)
{
    if (real == NULL)
    {
        void *module = dlopen(REAL_MODULE, RTLD_NOW | RTLD_LOCAL);
        if (module == NULL)
            return 0x5UL; /* CKR_GENERAL_ERROR */
        CK_RV (*get)(FUNCTION_LIST **) = (CK_RV (*)(FUNCTION_LIST **))dlsym(module, "C_GetFunctionList");
        if (get == NULL || get(&real) != CKR_OK)
            return 0x5UL;
        memcpy(&shim, real, sizeof shim);
        shim.fn[I_INITIALIZE] = (void *)shim_initialize;
        shim.fn[I_FINALIZE] = (void *)shim_finalize;
        shim.fn[I_GET_SLOT_LIST] = (void *)shim_get_slot_list;
        shim.fn[I_GET_TOKEN_INFO] = (void *)shim_get_token_info;
        shim.fn[I_OPEN_SESSION] = (void *)shim_open_session;
        shim.fn[I_GET_SESSION_INFO] = (void *)shim_get_session_info;
        shim.fn[I_LOGIN] = (void *)shim_login;
        shim.fn[I_GET_ATTRIBUTE_VALUE] = (void *)shim_get_attribute_value;
        shim.fn[I_FIND_OBJECTS_INIT] = (void *)shim_find_objects_init;
        shim.fn[I_FIND_OBJECTS] = (void *)shim_find_objects;
        shim.fn[I_SIGN_INIT] = (void *)shim_sign_init;
        shim.fn[I_SIGN] = (void *)shim_sign;
        shim.fn[I_GENERATE_KEY_PAIR] = (void *)shim_generate_key_pair;
    }
    *list = &shim;
    return CKR_OK;
}

void kc_fault_set(int mode)
{
    if (mode == 3 && fault != 3 && real != NULL)
    {
        /* A removed device takes every session and the login with it. */
        CK_ULONG slots[64], count = 64;
        if (REAL(I_GET_SLOT_LIST, get_slot_list_fn)(0, slots, &count) == CKR_OK)
            for (CK_ULONG i = 0; i < count; i++)
                REAL(I_CLOSE_ALL_SESSIONS, slot_fn)(slots[i]);
    }
    fault = mode;
}

int kc_login_calls(void)
{
    return login_calls;
}
