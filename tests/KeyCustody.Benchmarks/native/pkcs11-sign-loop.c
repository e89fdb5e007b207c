/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The C baseline of the "pkcs11" benchmark: C_SignInit + C_Sign (CKM_ECDSA over a 32-byte digest) in a tight
 * loop on THREADS threads, each with its own session, for SECONDS seconds. With "sign-verify" each signature
 * is also verified with OpenSSL against the public key in SPKI-DER-FILE (the work Pkcs11KeyStore.SignAsync does
 * with .NET, which uses the same OpenSSL). Loads MODULE with dlopen and finds the token and the key by label,
 * exactly as the .NET side does. The user PIN is read from standard input.
 *   usage: pkcs11-sign-loop MODULE TOKEN-LABEL KEY-LABEL THREADS SECONDS sign|sign-verify [SPKI-DER-FILE]
 *   prints: signatures=N seconds=S
 * Types and the CK_FUNCTION_LIST layout (version, then 68 entry points) follow PKCS#11 v2.40 (pkcs11t.h, pkcs11f.h).
 */
#include <dlfcn.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <openssl/ecdsa.h>
#include <openssl/evp.h>
#include <openssl/x509.h>

typedef unsigned long CK_ULONG;
typedef CK_ULONG CK_RV;
typedef struct { unsigned char major, minor; } CK_VERSION;
typedef struct { CK_VERSION version; void *fn[68]; } FUNCTION_LIST;
typedef struct { CK_ULONG type; void *value; CK_ULONG length; } CK_ATTRIBUTE;
typedef struct { CK_ULONG mechanism; void *parameter; CK_ULONG length; } CK_MECHANISM;
typedef struct { void *create, *destroy, *lock, *unlock; CK_ULONG flags; void *reserved; } CK_C_INITIALIZE_ARGS;

enum { I_INITIALIZE = 0, I_FINALIZE = 1, I_GET_SLOT_LIST = 4, I_GET_TOKEN_INFO = 6, I_OPEN_SESSION = 12,
       I_CLOSE_SESSION = 13, I_LOGIN = 18, I_FIND_OBJECTS_INIT = 26, I_FIND_OBJECTS = 27, I_FIND_OBJECTS_FINAL = 28,
       I_SIGN_INIT = 42, I_SIGN = 43 };

#define CKR_OK 0x0UL
#define CKR_USER_ALREADY_LOGGED_IN 0x100UL
#define CKF_OS_LOCKING_OK 0x2UL
#define CKF_RW_SESSION 0x2UL
#define CKF_SERIAL_SESSION 0x4UL
#define CKU_USER 1UL
#define CKA_CLASS 0x0UL
#define CKA_LABEL 0x3UL
#define CKO_PRIVATE_KEY 0x3UL
#define CKM_ECDSA 0x1041UL

typedef CK_RV (*initialize_fn)(void *);
typedef CK_RV (*get_slot_list_fn)(unsigned char, CK_ULONG *, CK_ULONG *);
typedef CK_RV (*get_token_info_fn)(CK_ULONG, void *);
typedef CK_RV (*open_session_fn)(CK_ULONG, CK_ULONG, void *, void *, CK_ULONG *);
typedef CK_RV (*session_fn)(CK_ULONG);
typedef CK_RV (*login_fn)(CK_ULONG, CK_ULONG, unsigned char *, CK_ULONG);
typedef CK_RV (*find_init_fn)(CK_ULONG, CK_ATTRIBUTE *, CK_ULONG);
typedef CK_RV (*find_fn)(CK_ULONG, CK_ULONG *, CK_ULONG, CK_ULONG *);
typedef CK_RV (*op_init_fn)(CK_ULONG, CK_MECHANISM *, CK_ULONG);
typedef CK_RV (*sign_fn)(CK_ULONG, unsigned char *, CK_ULONG, unsigned char *, CK_ULONG *);

#define CALL(index, type) ((type)functions->fn[index])

static FUNCTION_LIST *functions;
static CK_ULONG slot;
static CK_ULONG private_key;
static EVP_PKEY *verify_key;
static double seconds;
static pthread_barrier_t start;

static void check(const char *what, CK_RV rv)
{
    if (rv != CKR_OK)
    {
        fprintf(stderr, "%s returned 0x%lX\n", what, rv);
        exit(1);
    }
}

static double now(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

static CK_ULONG find_key(CK_ULONG session, CK_ULONG class, const char *label)
{
    CK_ATTRIBUTE template[2] = { { CKA_CLASS, &class, sizeof class }, { CKA_LABEL, (void *)label, strlen(label) } };
    CK_ULONG object = 0, count = 0;
    check("C_FindObjectsInit", CALL(I_FIND_OBJECTS_INIT, find_init_fn)(session, template, 2));
    check("C_FindObjects", CALL(I_FIND_OBJECTS, find_fn)(session, &object, 1, &count));
    check("C_FindObjectsFinal", CALL(I_FIND_OBJECTS_FINAL, session_fn)(session));
    if (count != 1)
    {
        fprintf(stderr, "key '%s' not found\n", label);
        exit(1);
    }
    return object;
}

/* r||s from CKM_ECDSA to a DER ECDSA-Sig-Value, then EVP_PKEY_verify with a fresh context, as .NET does. */
static void verify(const unsigned char *signature, CK_ULONG length, const unsigned char *digest, size_t digest_length)
{
    ECDSA_SIG *sig = ECDSA_SIG_new();
    ECDSA_SIG_set0(sig, BN_bin2bn(signature, (int)length / 2, NULL), BN_bin2bn(signature + length / 2, (int)length / 2, NULL));
    unsigned char der[160], *end = der;
    int der_length = i2d_ECDSA_SIG(sig, &end);
    EVP_PKEY_CTX *context = EVP_PKEY_CTX_new(verify_key, NULL);
    int ok = context != NULL && EVP_PKEY_verify_init(context) == 1
             && EVP_PKEY_verify(context, der, (size_t)der_length, digest, digest_length) == 1;
    EVP_PKEY_CTX_free(context);
    ECDSA_SIG_free(sig);
    if (!ok)
    {
        fprintf(stderr, "signature does not verify\n");
        exit(1);
    }
}

static void *worker(void *arg)
{
    unsigned long *count = arg;
    CK_ULONG session;
    check("C_OpenSession", CALL(I_OPEN_SESSION, open_session_fn)(slot, CKF_SERIAL_SESSION | CKF_RW_SESSION, NULL, NULL, &session));
    unsigned char digest[32], signature[256];
    for (int i = 0; i < 32; i++)
        digest[i] = (unsigned char)(i * 7 + 1);
    CK_MECHANISM mechanism = { CKM_ECDSA, NULL, 0 };
    pthread_barrier_wait(&start);
    double deadline = now() + seconds;
    unsigned long done = 0;
    do
    {
        CK_ULONG length = sizeof signature;
        check("C_SignInit", CALL(I_SIGN_INIT, op_init_fn)(session, &mechanism, private_key));
        check("C_Sign", CALL(I_SIGN, sign_fn)(session, digest, sizeof digest, signature, &length));
        if (verify_key != NULL)
            verify(signature, length, digest, sizeof digest);
        done++;
    } while (now() < deadline);
    *count = done;
    CALL(I_CLOSE_SESSION, session_fn)(session);
    return NULL;
}

int main(int argc, char **argv)
{
    int verify_too = argc == 8 && strcmp(argv[6], "sign-verify") == 0;
    if (!(argc == 7 && strcmp(argv[6], "sign") == 0) && !verify_too)
    {
        fprintf(stderr, "usage: %s MODULE TOKEN-LABEL KEY-LABEL THREADS SECONDS sign|sign-verify [SPKI-DER-FILE] (PIN on stdin)\n", argv[0]);
        return 2;
    }
    int threads = atoi(argv[4]);
    seconds = atof(argv[5]);
    if (verify_too)
    {
        FILE *file = fopen(argv[7], "rb");
        unsigned char spki[1024];
        size_t spki_length = file == NULL ? 0 : fread(spki, 1, sizeof spki, file);
        if (file != NULL)
            fclose(file);
        const unsigned char *next = spki;
        verify_key = spki_length == 0 ? NULL : d2i_PUBKEY(NULL, &next, (long)spki_length);
        if (verify_key == NULL)
        {
            fprintf(stderr, "cannot read the public key from %s\n", argv[7]);
            return 1;
        }
    }
    char pin[256];
    if (fgets(pin, sizeof pin, stdin) == NULL)
        return 2;
    pin[strcspn(pin, "\r\n")] = 0;

    void *module = dlopen(argv[1], RTLD_NOW | RTLD_LOCAL);
    if (module == NULL)
    {
        fprintf(stderr, "dlopen: %s\n", dlerror());
        return 1;
    }
    CK_RV (*get)(FUNCTION_LIST **) = (CK_RV (*)(FUNCTION_LIST **))dlsym(module, "C_GetFunctionList");
    check("C_GetFunctionList", get(&functions));
    CK_C_INITIALIZE_ARGS init = { NULL, NULL, NULL, NULL, CKF_OS_LOCKING_OK, NULL };
    check("C_Initialize", CALL(I_INITIALIZE, initialize_fn)(&init));

    CK_ULONG slots[128], count = 128;
    check("C_GetSlotList", CALL(I_GET_SLOT_LIST, get_slot_list_fn)(1, slots, &count));
    size_t wanted = strlen(argv[2]);
    int found = 0;
    for (CK_ULONG i = 0; i < count && !found; i++)
    {
        unsigned char info[512]; /* CK_TOKEN_INFO is 208 bytes on LP64; its label is the first 32. */
        if (CALL(I_GET_TOKEN_INFO, get_token_info_fn)(slots[i], info) != CKR_OK)
            continue;
        size_t length = 32;
        while (length > 0 && info[length - 1] == ' ')
            length--;
        if (length == wanted && memcmp(info, argv[2], wanted) == 0)
        {
            slot = slots[i];
            found = 1;
        }
    }
    if (!found)
    {
        fprintf(stderr, "token '%s' not found\n", argv[2]);
        return 1;
    }

    CK_ULONG session;
    check("C_OpenSession", CALL(I_OPEN_SESSION, open_session_fn)(slot, CKF_SERIAL_SESSION | CKF_RW_SESSION, NULL, NULL, &session));
    CK_RV rv = CALL(I_LOGIN, login_fn)(session, CKU_USER, (unsigned char *)pin, strlen(pin));
    if (rv != CKR_USER_ALREADY_LOGGED_IN)
        check("C_Login", rv);
    memset(pin, 0, sizeof pin);
    private_key = find_key(session, CKO_PRIVATE_KEY, argv[3]);

    pthread_t *ids = calloc((size_t)threads, sizeof *ids);
    unsigned long *counts = calloc((size_t)threads, sizeof *counts);
    pthread_barrier_init(&start, NULL, (unsigned)threads + 1);
    for (int i = 0; i < threads; i++)
        pthread_create(&ids[i], NULL, worker, &counts[i]);
    pthread_barrier_wait(&start);
    double began = now();
    unsigned long total = 0;
    for (int i = 0; i < threads; i++)
    {
        pthread_join(ids[i], NULL);
        total += counts[i];
    }
    double elapsed = now() - began;
    printf("signatures=%lu seconds=%.6f\n", total, elapsed);

    CALL(I_CLOSE_SESSION, session_fn)(session);
    CALL(I_FINALIZE, initialize_fn)(NULL);
    return 0;
}
