/*
 * UART for the ESP32 boards (esp32, esp32s3) on ESP-IDF v5's driver: the protocol owns UART0, the
 * port wired to the dev board's USB-serial bridge, at KIT_BOARD_BAUD (921600 from the board JSON).
 * The generated sdkconfig turns the console off so no log line lands inside a frame; the ROM's boot
 * banner still does, at 115200, and the frame parser on the host skips it as garbage.
 */
#include "driver/uart.h"
#include "freertos/FreeRTOS.h"
#include "freertos/task.h"

#include "frame.h"
#include "model_api.h"
#include "uart.h"

#ifndef KIT_BOARD_BAUD
#error "KIT_BOARD_BAUD must be defined by the build"
#endif
#ifndef KIT_BOARD_UART
#define KIT_BOARD_UART 0
#endif

#define PORT ((uart_port_t)KIT_BOARD_UART)

/* The host keeps up to 4 requests on the wire (DeviceClient's maxInFlight) while the device is busy
 * inferring; with no flow control, the driver's ring buffer must hold all of them, or bytes are
 * dropped and the host has to resend. One spare frame for a PING or GET_HELLO among them. */
#define HOST_IN_FLIGHT 4u
#define RX_RING_BYTES ((HOST_IN_FLIGHT + 1u) * KIT_FRAME_BUFFER_BYTES(4u + (uint32_t)KIT_MODEL_INPUT_BYTES))

/* A port that cannot be set up leaves nothing to talk through: stop here rather than run deaf.
 * The task watchdog does not watch this task, so the board just sits until reset. */
static void halt(void) {
    for (;;) vTaskDelay(portMAX_DELAY);
}

void kit_uart_init(void) {
    const uart_config_t config = {
        .baud_rate = (int)KIT_BOARD_BAUD,
        .data_bits = UART_DATA_8_BITS,
        .parity = UART_PARITY_DISABLE,
        .stop_bits = UART_STOP_BITS_1,
        .flow_ctrl = UART_HW_FLOWCTRL_DISABLE,
        .source_clk = UART_SCLK_DEFAULT,
    };
    /* TX ring of 0: uart_write_bytes returns once the bytes are in the hardware FIFO, so a reply is
     * on its way before the next inference starts, and the driver allocates no TX buffer. The RX
     * ring is the driver's one allocation, made once here. UART0's pins stay where the ROM put them
     * (the USB bridge), so there is no uart_set_pin. */
    if (uart_driver_install(PORT, (int)RX_RING_BYTES, 0, 0, NULL, 0) != ESP_OK) halt();
    if (uart_param_config(PORT, &config) != ESP_OK) halt();
}

void kit_uart_write(const uint8_t *data, size_t n) {
    while (n > 0) {
        int sent = uart_write_bytes(PORT, data, n);
        if (sent <= 0) continue; /* -1 only for a bad port, which init ruled out */
        data += sent;
        n -= (size_t)sent;
    }
}

size_t kit_uart_read(uint8_t *buf, size_t max) {
    /* uart_read_bytes waits until it has all `length` bytes, so wait for one, then take whatever
     * else is already buffered without waiting: a short frame (GET_HELLO is 15 bytes) must not sit
     * in the ring until 63 more bytes arrive. */
    while (uart_read_bytes(PORT, buf, 1, portMAX_DELAY) != 1) {
    }
    size_t buffered = 0;
    if (max > 1 && uart_get_buffered_data_len(PORT, &buffered) == ESP_OK && buffered > 0) {
        size_t want = buffered < max - 1 ? buffered : max - 1;
        int got = uart_read_bytes(PORT, buf + 1, (uint32_t)want, 0);
        if (got > 0) return 1u + (size_t)got;
    }
    return 1;
}
