from imc.chip import Interconnect
from imc.chip.resources import Buffer, Network, Unit


def test_a_full_buffer_holds_the_writer_back_until_a_reader_frees_room(env):
    buffer = Buffer(env, "b", 300)
    log = []

    def writer():
        for i in range(3):
            yield buffer.reserve(100 + 100 * (i == 1))   # 100, 200, 100 bits
            yield env.timeout(1)
            buffer.deposit((0, i), 100 + 100 * (i == 1))
            log.append(("in", i, env.now))

    def reader():
        yield env.timeout(10)
        for i in range(3):
            bits = yield buffer.take((0, i))
            log.append(("out", i, bits, env.now))

    env.process(writer())
    env.process(reader())
    env.run()
    # inputs 0 and 1 fill the 300 bits; input 2 waits for input 0 to be read at t = 10
    assert log == [("in", 0, 1), ("in", 1, 2), ("out", 0, 100, 10), ("out", 1, 200, 10), ("in", 2, 11),
                   ("out", 2, 100, 11)]
    assert buffer.peak_bits == 300 and buffer.level == 0


def test_buffer_space_is_first_come_first_served(env):
    buffer = Buffer(env, "b", 100)
    order = []

    def claim(name, bits, delay):
        yield env.timeout(delay)
        yield buffer.reserve(bits)
        order.append((name, env.now))

    def free():
        yield env.timeout(5)
        buffer.deposit((0, 0), 100)
        yield buffer.take((0, 0))

    env.process(claim("first", 100, 0))
    env.process(claim("big", 100, 1))
    env.process(claim("small", 10, 2))   # fits nowhere before "big", which waits ahead of it
    env.process(free())
    env.run()
    assert order == [("first", 0), ("big", 5)]


def test_a_unit_serves_its_capacity_at_a_time(env):
    unit = Unit(env, "digital", "digital", capacity=2)
    done = []

    def job(i):
        with unit.request() as request:
            yield request
            yield env.timeout(3)
        done.append((i, env.now))

    for i in range(3):
        env.process(job(i))
    env.run()
    assert done == [(0, 3), (1, 3), (2, 6)]


def test_mesh_routes_are_xy_over_neighbouring_links_and_snake_keeps_neighbours_adjacent(env):
    network = Network(env, Interconnect(mesh_columns=3), nodes=9)
    assert [network.position(n) for n in range(6)] == [(0, 0), (0, 1), (0, 2), (1, 2), (1, 1), (1, 0)]
    for a in range(9):
        for b in range(9):
            (ra, ca), (rb, cb) = network.position(a), network.position(b)
            assert len(network.route(a, b)) == abs(ra - rb) + abs(ca - cb)
    assert [link.name for link in network.route(0, 4)] == ["link (0, 0)->(0, 1)", "link (0, 1)->(1, 1)"]
    assert len(network.links) == 2 * (3 * 2 + 3 * 2)


def test_bus_routes_cross_the_one_bus(env):
    network = Network(env, Interconnect(topology="bus"), nodes=5)
    assert network.route(1, 4) == network.route(3, 0) == tuple(network.links) and network.route(2, 2) == ()
